package io.msb.protocol.internal;

import io.msb.api.spi.DaemonThreads;
import io.msb.protocol.AgentClosedException;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Core;
import io.msb.protocol.Frame;
import io.msb.protocol.FrameException;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Multiplexes sessions over one agent connection by correlation id: one reader thread
 * dispatches frames to sessions, which queue them for their consumers without blocking
 * (per-session flow control, decision 0310); writers serialise on a lock. When the connection
 * drops, every pending session fails with {@link AgentClosedException}.
 */
public final class Mux implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Mux.class.getName());
    private static final int SMALL_FRAME = 64 * 1024;

    private final AgentTransport transport;
    private final InputStream in;
    private final OutputStream out;
    private final Object writeLock = new Object();
    private final ConcurrentHashMap<Integer, Session> sessions = new ConcurrentHashMap<>();
    private final long idStart;
    private final long idEndExclusive;
    private final AtomicLong nextId;
    private final ScheduledExecutorService timer;
    private final String name;
    private final java.util.concurrent.ExecutorService delivery;
    private volatile AgentClosedException closedCause;
    private volatile boolean flowControl;
    private Thread reader;

    /**
     * @param idStart first correlation id this side may use (unsigned, at least 1)
     * @param idEndExclusive end of the id range (unsigned, at most 2^32)
     */
    public Mux(AgentTransport transport, long idStart, long idEndExclusive, String name) {
        if (idStart < 1 || idEndExclusive > 1L << 32 || idStart >= idEndExclusive) {
            throw new IllegalArgumentException("id range: need 1 <= start < end <= 2^32, got [" + idStart + ", "
                    + idEndExclusive + ")");
        }
        this.transport = transport;
        this.in = new BufferedInputStream(transport.input(), SMALL_FRAME);
        this.out = transport.output();
        this.idStart = idStart;
        this.idEndExclusive = idEndExclusive;
        this.nextId = new AtomicLong(idStart);
        this.name = name;
        this.timer = DaemonThreads.scheduler(name + "-timer");
        // one task per session with events to hand over; idle threads go away (decision 0310)
        var pool = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), DaemonThreads.named(name + "-delivery"));
        this.delivery = pool;
    }

    /** Set once from core.ready: the agent honours msb.flow.pause/resume (decision 0310). */
    public void flowControl(boolean supported) {
        this.flowControl = supported;
    }

    public boolean flowControl() {
        return flowControl;
    }

    /**
     * Runs a session's delivery to its consumer off the reader thread. Deliveries still run after the
     * connection closed (the final failure events must reach their listeners).
     */
    public void deliver(Runnable task) {
        delivery.execute(task);
    }

    /** The raw input, for a handshake read before {@link #start}. */
    public InputStream input() {
        return in;
    }

    /** Starts the reader; messages with no session go to {@code unsolicited}. */
    public void start(Consumer<Message> unsolicited) {
        reader = DaemonThreads.start(name + "-reader", () -> readLoop(unsolicited));
    }

    public ScheduledExecutorService timer() {
        return timer;
    }

    /** Runs a follow-up (e.g. a request the reader thread must not wait for) unless the connection closed. */
    public void later(Runnable task) {
        try {
            timer.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile: the agent releases what the task would have released
        }
    }

    public boolean isOpen() {
        return closedCause == null;
    }

    /** Allocates a free id in this side's range and registers the session under it. */
    public int register(Session s) {
        ensureOpen();
        long span = idEndExclusive - idStart;
        for (long tries = 0; tries < Math.min(span, 1L << 20); tries++) {
            long candidate = idStart + Math.floorMod(nextId.getAndIncrement() - idStart, span);
            int id = (int) candidate;
            if (sessions.putIfAbsent(id, s) == null) {
                s.id = id;
                if (!isOpen()) {
                    // the connection closed while registering: fail like the others
                    sessions.remove(id, s);
                    throw closedCause;
                }
                return id;
            }
        }
        throw new IllegalStateException("no free correlation id: " + sessions.size() + " sessions open");
    }

    public void unregister(Session s) {
        sessions.remove(s.id, s);
    }

    public int sessionCount() {
        return sessions.size();
    }

    public void send(MessageType type, int id, Object payload) {
        send(Codec.encode(type, id, payload));
    }

    /** Writes one frame atomically with respect to other writers. */
    public void send(Frame frame) {
        ensureOpen();
        try {
            synchronized (writeLock) {
                if (frame.body().length <= SMALL_FRAME) {
                    out.write(frame.encode());
                } else {
                    byte[] head = new byte[9];
                    int len = Frame.HEADER_SIZE + frame.body().length;
                    head[0] = (byte) (len >>> 24);
                    head[1] = (byte) (len >>> 16);
                    head[2] = (byte) (len >>> 8);
                    head[3] = (byte) len;
                    head[4] = (byte) (frame.id() >>> 24);
                    head[5] = (byte) (frame.id() >>> 16);
                    head[6] = (byte) (frame.id() >>> 8);
                    head[7] = (byte) frame.id();
                    head[8] = (byte) frame.flags();
                    out.write(head);
                    out.write(frame.body());
                }
                out.flush();
            }
        } catch (IOException e) {
            fail(new AgentClosedException(name + ": write failed: " + e.getMessage(), e));
            throw closedCause;
        }
    }

    private void ensureOpen() {
        AgentClosedException c = closedCause;
        if (c != null) {
            throw new AgentClosedException(c.getMessage(), c);
        }
    }

    private void readLoop(Consumer<Message> unsolicited) {
        try {
            while (true) {
                Frame f = Frame.read(in);
                if (f == null) {
                    fail(new AgentClosedException(name + ": agent closed the connection", null));
                    return;
                }
                dispatch(f, unsolicited);
            }
        } catch (FrameException e) {
            fail(new AgentClosedException(name + ": protocol stream broken: " + e.getMessage(), e));
        } catch (IOException e) {
            fail(new AgentClosedException(name + ": read failed: " + e.getMessage(), e));
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, name + ": reader crashed", e);
            fail(new AgentClosedException(name + ": reader crashed: " + e, e));
        }
    }

    private void dispatch(Frame f, Consumer<Message> unsolicited) {
        Session s = sessions.get(f.id());
        Message m;
        try {
            m = Codec.decode(f);
        } catch (ProtocolException e) {
            LOG.warning(() -> name + ": malformed frame from agent for id " + Integer.toUnsignedString(f.id())
                    + ": " + e.getMessage());
            if (s != null) {
                end(s, e);
            }
            return;
        }
        if (s == null) {
            unsolicited.accept(m);
            return;
        }
        if (m.type() == null && !f.terminal()) {
            // a newer agent's extra message: harmless unless it would end the session
            return;
        }
        try {
            MessageType type = Codec.validate(m);
            if (type == MessageType.CORE_ERROR) {
                Core.Error err = m.payload(Core.Error.class);
                end(s, new ProtocolException(err.kind(), "agent: " + err.message()));
                return;
            }
            if (f.terminal()) {
                sessions.remove(f.id(), s);
            }
            s.onMessage(type, m);
        } catch (ProtocolException e) {
            end(s, e);
        }
    }

    private void end(Session s, RuntimeException cause) {
        if (sessions.remove(s.id, s)) {
            s.onFailure(cause);
        }
    }

    /** Closes the connection and fails every pending session. */
    @Override
    public void close() {
        fail(new AgentClosedException(name + ": closed", null));
    }

    private void fail(AgentClosedException cause) {
        synchronized (this) {
            if (closedCause != null) {
                return;
            }
            closedCause = cause;
        }
        transport.close();
        timer.shutdownNow();
        List<Session> pending = new ArrayList<>(sessions.values());
        sessions.clear();
        for (Session s : pending) {
            try {
                s.onFailure(cause);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, name + ": session failure handler threw", e);
            }
        }
    }

    public AgentClosedException closedCause() {
        return closedCause;
    }
}
