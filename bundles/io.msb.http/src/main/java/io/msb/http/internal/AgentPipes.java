package io.msb.http.internal;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.StatusCode;

/**
 * The open agent WebSockets, by sandbox (decision 1016). A sandbox's relay has 128 client slots and microsandbox's
 * 0.6.18 SDK opens a WebSocket per call and never closes it, so slots are reclaimed two ways:
 * <ul>
 * <li>at most {@link Limits#perSandbox()} WebSockets per sandbox: a new one evicts the connection that has been idle
 * longest among those with no session open (refused with 429 when every one has a session open);</li>
 * <li>a client that sends nothing, not even the pong to our pings, for the idle timeout is disconnected.</li>
 * </ul>
 */
final class AgentPipes implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AgentPipes.class.getName());

    /**
     * @param perSandbox most WebSockets one sandbox may have (below the relay's 128 slots, which the runtime's own
     *        client and direct relay clients share)
     * @param maxMessageBytes largest binary message (and frame) a client may send
     * @param maxTextBytes largest text message (text is ignored)
     * @param idleTimeout a client silent this long is disconnected; zero: never
     * @param handshakeMillis how long the relay may take to send its handshake
     */
    record Limits(int perSandbox, long maxMessageBytes, long maxTextBytes, Duration idleTimeout, long handshakeMillis) {
    }

    private final Limits limits;
    private final ScheduledExecutorService timer = DaemonThreads.scheduler("msb-agent-ws-timer");
    /** Guarded by this. */
    private final Map<String, List<AgentPipe>> bySandbox = new HashMap<>();
    private boolean closed;

    AgentPipes(Limits limits) {
        this.limits = limits;
        long period = limits.idleTimeout().isZero() ? 10_000 : Math.max(1000, limits.idleTimeout().toMillis() / 6);
        timer.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    Limits limits() {
        return limits;
    }

    /**
     * A new connection to the relay of {@code sandbox} at {@code socket}, its handshake read, counted against the
     * sandbox's limit (evicting its longest idle connection if need be).
     *
     * @throws ApiException 429 when the sandbox's WebSockets all have a session open or its relay is full, 502
     *         when the relay cannot be reached
     */
    AgentPipe open(String sandbox, Path socket) {
        AgentPipe pipe = new AgentPipe(sandbox, this);
        AgentPipe victim = null;
        synchronized (this) {
            if (closed) {
                throw new ApiException(503, "internal_error", "the server is shutting down", null);
            }
            List<AgentPipe> pipes = bySandbox.computeIfAbsent(sandbox, s -> new ArrayList<>());
            if (pipes.size() >= limits.perSandbox()) {
                victim = pipes.stream().filter(AgentPipe::evictable).sorted(Comparator.comparingLong(AgentPipe::lastData))
                        .filter(AgentPipe::claimForEviction).findFirst().orElse(null);
                if (victim == null) {
                    throw new ApiException(429, "too_many_requests", "sandbox " + sandbox + " already has "
                            + pipes.size() + " agent connections, each with a session open", null);
                }
                pipes.remove(victim);
            }
            pipes.add(pipe);
        }
        if (victim != null) {
            LOG.log(Level.DEBUG, "agent WebSocket of {0}: evicting the longest idle connection", sandbox);
            victim.close(StatusCode.SHUTDOWN, "idle agent connection reclaimed for a new one");
        }
        try {
            pipe.connect(socket, limits.handshakeMillis(), timer);
            return pipe;
        } catch (AgentPipe.RelayFullException e) {
            pipe.abandon();
            throw new ApiException(429, "too_many_requests", e.getMessage(), null);
        } catch (IOException e) {
            pipe.abandon();
            throw new ApiException(502, "agent_unreachable", "cannot reach the agent of sandbox " + sandbox + ": "
                    + e.getMessage(), null);
        } catch (RuntimeException e) {
            pipe.abandon();
            throw e;
        }
    }

    synchronized void remove(AgentPipe pipe) {
        List<AgentPipe> pipes = bySandbox.get(pipe.sandbox);
        if (pipes != null && pipes.remove(pipe) && pipes.isEmpty()) {
            bySandbox.remove(pipe.sandbox);
        }
    }

    private void check() {
        long now = System.nanoTime();
        long idle = limits.idleTimeout().toNanos();
        for (AgentPipe pipe : all()) {
            try {
                pipe.check(now, idle);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "agent WebSocket check failed", e);
            }
        }
    }

    private synchronized List<AgentPipe> all() {
        List<AgentPipe> all = new ArrayList<>();
        bySandbox.values().forEach(all::addAll);
        return all;
    }

    /** Closes every connection (the server stops serving the route). */
    @Override
    public void close() {
        List<AgentPipe> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>();
            bySandbox.values().forEach(all::addAll);
        }
        all.forEach(p -> p.close(StatusCode.SHUTDOWN, "the server stops serving agent connections"));
        timer.shutdownNow();
    }
}
