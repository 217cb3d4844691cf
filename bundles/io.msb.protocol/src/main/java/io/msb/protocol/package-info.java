/**
 * The host side of the msb agent protocol, wire-compatible with microsandbox's agent protocol
 * generation 7: raw {@link io.msb.protocol.Frame}s for relays, typed messages
 * ({@link io.msb.protocol.Core}, {@link io.msb.protocol.Exec}, {@link io.msb.protocol.Fs},
 * {@link io.msb.protocol.Tcp}) through {@link io.msb.protocol.Codec}, the multiplexing
 * {@link io.msb.protocol.AgentClient}, the {@link io.msb.protocol.Relay} and the
 * {@link io.msb.protocol.HeartbeatReader}.
 */
@Export
@Version("1.4.0")
package io.msb.protocol;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
