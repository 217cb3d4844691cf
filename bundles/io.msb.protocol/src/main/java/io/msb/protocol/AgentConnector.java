package io.msb.protocol;

import io.msb.protocol.internal.AgentConnectorComponent;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The protocol bundle's service: opens clients and relays with the configured timeouts and
 * buffer sizes (configuration PID {@code io.msb.protocol}).
 */
@ProviderType
public interface AgentConnector {
    /**
     * The connector the service is without a configuration (every timeout and buffer at its default), for code that
     * runs outside OSGi: another bundle's unit tests, a runtime assembled by hand (decision 0552).
     */
    static AgentConnector withDefaults() {
        return AgentConnectorComponent.withDefaults();
    }

    /** A client talking straight to an agent socket (a VM's private channel, {@code agentd --listen}). */
    AgentClient connect(Path agentSocket) throws IOException;

    /** A client of a relay socket (a sandbox's {@code agent.sock}). */
    AgentClient connectRelay(Path relaySocket) throws IOException;

    /** A client over any transport that starts with the agent's {@code core.ready}. */
    AgentClient connect(AgentTransport transport) throws IOException;

    /**
     * Relays the freshly booted agent at {@code agentSocket} on {@code listenPath} once it is ready, and keeps its
     * {@code core.ready} in {@code readyFile} (replaced atomically) for a later {@link #resumeRelay}.
     */
    AgentRelay relay(Path agentSocket, Path listenPath, Path readyFile) throws IOException;

    /**
     * Relays an agent that already served another host connection (a VM an earlier process started), giving
     * clients the {@code core.ready} kept in {@code readyFile}. Without that file (the earlier relay never saw the
     * agent ready) this is {@link #relay}.
     */
    AgentRelay resumeRelay(Path agentSocket, Path listenPath, Path readyFile) throws IOException;

    /**
     * As {@link #resumeRelay(Path, Path, Path)} over a connection the caller opened already: a VM restored from a saved
     * state is connected while it stands paused, so its guest never sees the channel close (decision 1248).
     *
     * @since 2.3
     */
    AgentRelay resumeRelay(AgentTransport agent, Path listenPath, Path readyFile) throws IOException;

    /** Configured: how long an agent may go without its first heartbeat; null: forever. */
    Duration heartbeatBootGrace();

    /** Configured: how long a heartbeat may stay stale (twice, to confirm); null: never unresponsive. */
    Duration heartbeatStaleBudget();
}
