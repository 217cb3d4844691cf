/**
 * The host side of the msb agent protocol, wire-compatible with microsandbox's agent protocol
 * generation 7: the messages ({@link io.msb.protocol.Frame}, {@link io.msb.protocol.Message},
 * {@link io.msb.protocol.MessageType} and the payloads of {@link io.msb.protocol.Core},
 * {@link io.msb.protocol.Exec}, {@link io.msb.protocol.Fs}, {@link io.msb.protocol.Tcp},
 * {@link io.msb.protocol.GuestBootstrap}), their errors, the multiplexing
 * {@link io.msb.protocol.AgentClient} and the connector service contract
 * ({@link io.msb.protocol.AgentConnector}, {@link io.msb.protocol.AgentRelay},
 * {@link io.msb.protocol.ExecObserver},
 * {@link io.msb.protocol.AgentTransport}). Codec, relay and heartbeat reading are internal.
 */
@Export
@Version("2.4.0")
package io.msb.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
