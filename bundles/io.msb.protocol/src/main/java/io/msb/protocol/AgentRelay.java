package io.msb.protocol;

import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A relay opened by {@link AgentConnector}: it owns one agent connection and serves it to any number of clients
 * on a UNIX socket, each with its own slice of correlation ids, as microsandbox's relay does.
 */
@ProviderType
public interface AgentRelay extends AutoCloseable {
    /** The agent's {@code core.ready}, which every client receives first. */
    Core.Ready ready();

    /** The socket clients connect to ({@link AgentConnector#connectRelay}). */
    Path path();

    /** Clients connected now. */
    int clientCount();

    /** Exec sessions open now across all clients (started, no terminal frame yet). */
    int openExecSessions();

    /**
     * Shows {@code observer} every exec session from now on (one observer; a later call replaces it). When the
     * relay closes, what was queued for the observer is delivered first, for a bounded time.
     */
    void observe(ExecObserver observer);

    /** Completes when the relay stops: the agent went away or {@link #close()}. */
    CompletionStage<Void> closed();

    /** Stops serving and closes the agent connection; the VM keeps running. */
    @Override
    void close();
}
