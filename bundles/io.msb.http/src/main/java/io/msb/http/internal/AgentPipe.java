package io.msb.http.internal;

import io.msb.api.spi.DaemonThreads;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Frame;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;

/**
 * One agent WebSocket ({@code GET /v1/sandboxes/{id}/agent}, decision 1016): a byte pipe between a WebSocket client
 * and its own client connection of the sandbox's relay. The relay's bytes (id range, cached {@code core.ready},
 * frames) go out as binary messages in the chunks they arrive in; the client's binary messages are written to the
 * relay as they are; text is ignored. Each direction waits for the other side before reading on: the relay is not
 * read while a send to the client is pending, and a client message is not acknowledged (so Jetty reads no further
 * frame) until the relay has taken its bytes. Memory per connection: one relay chunk and one client message.
 *
 * <p>Frame headers are followed (never bodies) so that the pipe knows whether a session is open: only a pipe
 * without one may be evicted ({@link AgentPipes}).
 */
public final class AgentPipe implements Session.Listener.AutoDemanding { // public: Jetty calls it through a public lookup
    private static final System.Logger LOG = System.getLogger(AgentPipe.class.getName());
    /** Most bytes read from the relay for one message. */
    static final int CHUNK = 64 * 1024;
    /** Sessions one connection may have open; more is not a client we can serve (closed, policy violation). */
    static final int MAX_OPEN_SESSIONS = 4096;
    /** Bytes the relay sends before the ready frame: {@code [id_start u32][id_end_exclusive u32]}. */
    private static final int ID_RANGE = 8;
    private static final int MAX_CLOSE_REASON = 120;
    private static final long UNOPENED_NANOS = TimeUnit.MINUTES.toNanos(1);

    final String sandbox;
    private final AgentPipes owner;
    private final FrameHeads fromClient = new FrameHeads();
    private final FrameHeads fromAgent = new FrameHeads();
    /** Guarded by this, with {@link #evicting}. */
    private final Set<Integer> openSessions = new HashSet<>();
    private boolean evicting;
    private volatile AgentTransport relay;
    private volatile byte[] handshake;
    private volatile Session session;
    private volatile boolean closed;
    /** Last agent bytes either way ({@link System#nanoTime()}): what eviction orders by. */
    private volatile long lastData = System.nanoTime();
    /** Last anything from the client, a pong included: what the idle check looks at. */
    private volatile long lastHeard = System.nanoTime();
    private final long created = System.nanoTime();

    AgentPipe(String sandbox, AgentPipes owner) {
        this.sandbox = sandbox;
        this.owner = owner;
    }

    /** The relay refused the connection: it has no free client slot. */
    static final class RelayFullException extends IOException {
        private static final long serialVersionUID = 1L;

        RelayFullException(String message) {
            super(message);
        }
    }

    /**
     * Connects to the relay socket and reads its handshake (id range and ready frame) before the upgrade, so that a
     * relay that is gone or full is an HTTP error rather than a WebSocket that closes at once. Bounded by
     * {@code timeout}: a relay that does not answer is closed by {@code timer}.
     */
    void connect(Path socket, long timeoutMillis, ScheduledExecutorService timer) throws IOException {
        AgentTransport transport = AgentTransport.unix(socket);
        relay = transport;
        ScheduledFuture<?> watchdog = timer.schedule(transport::close, timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            InputStream in = transport.input();
            byte[] range = in.readNBytes(ID_RANGE + 4);
            if (range.length == 0) {
                throw new RelayFullException("the relay of sandbox " + sandbox + " closed the connection at once "
                        + "(all its client slots are taken)");
            }
            if (range.length < ID_RANGE + 4) {
                throw new IOException("the relay of sandbox " + sandbox + " closed during its handshake");
            }
            int length = ByteBuffer.wrap(range, ID_RANGE, 4).getInt();
            if (length < Frame.HEADER_SIZE || length > Frame.MAX_FRAME_SIZE) {
                throw new IOException("the relay of sandbox " + sandbox + " sent a ready frame of " + length + " bytes");
            }
            byte[] ready = in.readNBytes(length);
            if (ready.length < length) {
                throw new IOException("the relay of sandbox " + sandbox + " closed during its handshake");
            }
            if (!watchdog.cancel(false)) {
                throw new IOException("the relay of sandbox " + sandbox + " did not finish its handshake within "
                        + timeoutMillis + " ms");
            }
            byte[] all = new byte[range.length + ready.length];
            System.arraycopy(range, 0, all, 0, range.length);
            System.arraycopy(ready, 0, all, range.length, ready.length);
            handshake = all;
        } catch (IOException | RuntimeException e) {
            watchdog.cancel(false);
            transport.close();
            throw e;
        }
    }

    @Override
    public void onWebSocketOpen(Session s) {
        AgentPipes.Limits limits = owner.limits();
        s.setMaxBinaryMessageSize(limits.maxMessageBytes());
        s.setMaxFrameSize(limits.maxMessageBytes());
        s.setMaxTextMessageSize(limits.maxTextBytes());
        // Our own check (check()) cuts a silent client after the idle timeout; Jetty's, twice as long, is the
        // backstop for a send that makes no progress at all. Zero: neither.
        s.setIdleTimeout(limits.idleTimeout().multipliedBy(2));
        lastHeard = System.nanoTime();
        session = s;
        if (closed) { // closed while the upgrade was under way (the server stopping)
            s.close(StatusCode.SHUTDOWN, "the server stops serving agent connections", Callback.NOOP);
            return;
        }
        DaemonThreads.start("msb-agent-ws-" + sandbox, this::pump);
    }

    /** Relay → client: the handshake, then whatever the relay sends, one send at a time. */
    private void pump() {
        byte[] buf = new byte[CHUNK];
        try {
            send(ByteBuffer.wrap(handshake));
            InputStream in = relay.input();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) {
                    continue;
                }
                fromAgent.feed(buf, 0, n, (id, flags) -> {
                    if ((flags & Frame.TERMINAL) != 0) {
                        sessionEnded(id);
                    }
                });
                lastData = System.nanoTime();
                send(ByteBuffer.wrap(buf, 0, n));
            }
            close(StatusCode.NORMAL, "the sandbox's agent relay closed the connection");
        } catch (IOException e) {
            close(StatusCode.NORMAL, "the sandbox's agent relay connection ended");
        } catch (ExecutionException e) {
            LOG.log(Level.DEBUG, "agent WebSocket of {0}: send failed: {1}", sandbox, e.getCause());
            shut();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shut();
        }
    }

    /** Sends one binary message and waits until it is written: the relay is not read meanwhile. */
    private void send(ByteBuffer bytes) throws ExecutionException, InterruptedException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.sendBinary(bytes, Callback.from(() -> done.complete(null), done::completeExceptionally));
        done.get();
    }

    /** Client → relay: the message's bytes, acknowledged (so the next frame is read) once the relay took them. */
    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        long now = System.nanoTime();
        lastHeard = now;
        lastData = now;
        byte[] chunk = new byte[Math.min(CHUNK, Math.max(1, payload.remaining()))];
        try {
            OutputStream out = relay.output();
            while (payload.hasRemaining()) {
                int n = Math.min(chunk.length, payload.remaining());
                payload.get(chunk, 0, n);
                if (!track(chunk, n)) {
                    callback.succeed();
                    return;
                }
                out.write(chunk, 0, n);
            }
            out.flush();
            callback.succeed();
        } catch (IOException e) {
            callback.fail(e);
            close(StatusCode.NORMAL, "the sandbox's agent relay connection ended");
        }
    }

    /** Follows the client's frames; false (and the connection closed) when it cannot be served. */
    private boolean track(byte[] chunk, int n) {
        boolean[] tooMany = {false};
        boolean frames;
        synchronized (this) {
            if (evicting || closed) {
                return false;
            }
            frames = fromClient.feed(chunk, 0, n, (id, flags) -> {
                if ((flags & Frame.SESSION_START) != 0 && openSessions.add(id)
                        && openSessions.size() > MAX_OPEN_SESSIONS) {
                    tooMany[0] = true;
                }
            });
        }
        if (!frames) {
            close(StatusCode.POLICY_VIOLATION, "not agent protocol frames (length out of range)");
            return false;
        }
        if (tooMany[0]) {
            close(StatusCode.POLICY_VIOLATION, "more than " + MAX_OPEN_SESSIONS + " sessions open");
            return false;
        }
        return true;
    }

    private synchronized void sessionEnded(int id) {
        openSessions.remove(id);
    }

    @Override
    public void onWebSocketText(String message) {
        lastHeard = System.nanoTime(); // ignored, as microsandbox's server does
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        lastHeard = System.nanoTime();
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        lastHeard = System.nanoTime();
        Session s = session;
        if (s != null) {
            s.sendPong(payload, Callback.NOOP); // overriding this method turns Jetty's own answer off
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        shut();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        LOG.log(Level.DEBUG, "agent WebSocket of {0} failed: {1}", sandbox, cause);
        shut();
    }

    /** Whether the connection is open and idle (no session open): then it may be evicted. */
    synchronized boolean evictable() {
        return session != null && !closed && !evicting && openSessions.isEmpty();
    }

    /** Marks an evictable connection as going: from now on it forwards nothing. False if it is no longer idle. */
    synchronized boolean claimForEviction() {
        if (!evictable()) {
            return false;
        }
        evicting = true;
        return true;
    }

    long lastData() {
        return lastData;
    }

    /**
     * From {@link AgentPipes}' timer: a client that sent nothing, not even a pong, for {@code idleNanos} (zero: no
     * limit) is cut off (dead, or not reading: our pings wait behind its unread data); a quiet one is pinged. A
     * connection whose WebSocket never opened (the client left during the upgrade) is let go after a minute.
     */
    void check(long now, long idleNanos) {
        Session s = session;
        if (closed) {
            return;
        }
        if (s == null) {
            if (now - created > UNOPENED_NANOS) {
                shut();
            }
            return;
        }
        if (idleNanos == 0) {
            return;
        }
        long silent = now - lastHeard;
        if (silent > idleNanos) {
            LOG.log(Level.DEBUG, "agent WebSocket of {0}: client silent for {1} s, disconnecting", sandbox,
                    TimeUnit.NANOSECONDS.toSeconds(silent));
            shut();
            s.disconnect();
        } else if (silent > idleNanos / 3) {
            s.sendPing(ByteBuffer.allocate(0), Callback.NOOP);
        }
    }

    /**
     * Closes the relay connection and the WebSocket with {@code code}; only the first call does anything, so the
     * pump seeing the relay connection end after an eviction does not replace the eviction's code with its own.
     */
    void close(int code, String reason) {
        if (!shut()) {
            return;
        }
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(code, reason.length() > MAX_CLOSE_REASON ? reason.substring(0, MAX_CLOSE_REASON) : reason,
                    Callback.NOOP);
        }
    }

    /** The upgrade did not happen: only the relay connection goes. */
    void abandon() {
        shut();
    }

    /** Lets go of the relay connection (the relay then frees the slot) and of the registry entry; once. */
    private boolean shut() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
        }
        AgentTransport r = relay;
        if (r != null) {
            r.close();
        }
        owner.remove(this);
        return true;
    }
}
