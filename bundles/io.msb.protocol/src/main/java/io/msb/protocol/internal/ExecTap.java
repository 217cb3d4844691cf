package io.msb.protocol.internal;

import io.msb.api.spi.DaemonThreads;
import io.msb.protocol.Exec;
import io.msb.protocol.ExecObserver;
import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.ProtocolException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The relay's copy of exec frames for an {@link ExecObserver}: the relay's threads only queue a frame (never wait,
 * never decode); one thread of its own decodes and delivers them. Past {@code maxQueued} bytes frames are dropped
 * and counted, so an observer writing to a slow disk costs output records, not the relay's pace.
 */
final class ExecTap {
    private static final Logger LOG = Logger.getLogger(ExecTap.class.getName());
    private final ExecObserver observer;
    private final long maxQueued;
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final Thread thread;
    private long queued;
    private long dropped;
    private boolean finishing;

    /** A request frame (client to agent) or a frame the agent sent for a session. */
    private record Entry(Frame frame, boolean request) {
    }

    ExecTap(ExecObserver observer, long maxQueued) {
        this.observer = observer;
        this.maxQueued = maxQueued;
        this.thread = DaemonThreads.start("msb-relay-observer", this::run);
    }

    /** A client's {@code core.exec.request}. */
    void request(Frame f) {
        offer(new Entry(f, true));
    }

    /** A frame the agent sent on an exec session. */
    void fromAgent(Frame f) {
        offer(new Entry(f, false));
    }

    private synchronized void offer(Entry e) {
        int size = e.frame().wireSize();
        if (finishing || queued + size > maxQueued) {
            dropped += size;
            return;
        }
        queued += size;
        queue.add(e);
        notifyAll();
    }

    /** Delivers what is queued, waiting at most {@code grace}, then stops the thread. */
    void finish(Duration grace) {
        synchronized (this) {
            finishing = true;
            notifyAll();
        }
        try {
            thread.join(Math.max(1, grace.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }

    private void run() {
        while (true) {
            Entry e;
            long lost;
            synchronized (this) {
                while (queue.isEmpty() && !finishing) {
                    try {
                        wait();
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
                e = queue.poll();
                if (e == null) {
                    return; // finishing and drained
                }
                queued -= e.frame().wireSize();
                lost = dropped;
                dropped = 0;
            }
            try {
                if (lost > 0) {
                    observer.dropped(lost);
                }
                deliver(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "relay: the exec observer failed", ex);
            }
        }
    }

    private void deliver(Entry e) {
        Message m;
        try {
            m = Codec.decode(e.frame());
            io.msb.protocol.MessageType type = m.type();
            if (type == null) {
                if (e.frame().terminal()) {
                    observer.ended(m.id());
                }
                return;
            }
            switch (type) {
                case EXEC_REQUEST -> {
                    if (e.request()) {
                        observer.started(m.id(), m.payload(Exec.Request.class));
                    }
                }
                case EXEC_STDOUT -> observer.output(m.id(), false, m.payload(Exec.Stdout.class).data());
                case EXEC_STDERR -> observer.output(m.id(), true, m.payload(Exec.Stderr.class).data());
                case EXEC_EXITED, EXEC_FAILED -> observer.ended(m.id());
                default -> {
                    if (e.frame().terminal()) {
                        observer.ended(m.id());
                    }
                }
            }
        } catch (ProtocolException | IllegalArgumentException bad) {
            // the guest's frame: whoever owns the session sees the error; a copy is only skipped
            LOG.log(Level.FINE, "relay: an exec frame the observer cannot read", bad);
            if (e.frame().terminal()) {
                observer.ended(e.frame().id());
            }
        }
    }
}
