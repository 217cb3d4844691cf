package io.msb.api.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.osgi.annotation.versioning.ProviderType;

/** A VM process started (or reattached) by a {@link VmmBackend}. */
@ProviderType
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

    /**
     * The last lines of the guest's console (kernel log), oldest first, for boot failure reports; empty when
     * the backend keeps none. Guest output: bounded and stripped of control characters by the backend.
     */
    default List<String> consoleTail(int maxLines) {
        return List.of();
    }
}
