package io.msb.api.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;

/** A VM process started (or reattached) by a {@link VmmBackend}. */
public interface VmHandle {
    long pid();

    /** The UNIX socket on which the guest agent's channel is reachable (one client only). */
    Path agentChannel();

    boolean alive();

    /** SIGTERM, then SIGKILL after {@code grace}; the agent-level shutdown is the runtime's job. */
    void terminate(Duration grace);

    /** SIGKILL and wait. */
    void kill();

    /** Waits for the process to end; returns its exit status when known. */
    OptionalInt waitFor(Duration timeout) throws InterruptedException;
}
