package io.msb.protocol.internal;

import io.msb.protocol.Core;
import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Agent frames on their way to one relay client (decision 0311): the relay's agent loop only queues
 * ({@link #offer}), this client's own writer thread ({@link #run}) writes, so a client that reads slowly or
 * not at all delays nobody else. Above a quarter of {@code limit} queued bytes the relay pauses, on the
 * client's behalf, every session it queues a frame for ({@code msb.flow.pause}, when the agent announced
 * flow control) and resumes them once the writer has drained the queue to a sixteenth. Past {@code limit}
 * (an agent without flow control, or a misbehaving one) the client is disconnected.
 *
 * <p>The client may pause and resume its own sessions too: those frames are tracked, so the relay never
 * resumes what the client paused and holds back the client's resume of a session the relay paused until
 * its own resume. Every flow frame goes out through {@code toAgent}, which must keep their order.
 */
public final class RelayOutbox implements Runnable {
    private static final Logger LOG = Logger.getLogger(RelayOutbox.class.getName());
    /** Bodies of {@code msb.flow.*} frames are tiny ({v,t,p:{}}); larger frames are not decoded. */
    private static final int FLOW_BODY_MAX = 64;

    private final String name;
    private final OutputStream out;
    private final long limit;
    private final long pauseAt;
    private final long resumeAt;
    private final boolean flowControl;
    private final Consumer<Frame> toAgent;
    private final Runnable hangUp;
    private final LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
    private final Set<Integer> pausedByRelay = new HashSet<>();
    private final Set<Integer> pausedByClient = new HashSet<>();
    private long queued;
    private boolean overflowed;

    /**
     * @param out the client's socket, written only by {@link #run}
     * @param limit most bytes queued before the client is disconnected
     * @param flowControl the agent honours {@code msb.flow.pause/resume}
     * @param toAgent sends a frame to the agent, in call order
     * @param hangUp disconnects the client (its read loop then announces the departure)
     */
    public RelayOutbox(String name, OutputStream out, long limit, boolean flowControl, Consumer<Frame> toAgent,
            Runnable hangUp) {
        this.name = name;
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.limit = limit;
        this.pauseAt = limit / 4;
        this.resumeAt = limit / 16;
        this.flowControl = flowControl;
        this.toAgent = toAgent;
        this.hangUp = hangUp;
    }

    /** From the agent loop: never blocks. */
    public void offer(Frame f) {
        synchronized (this) {
            if (overflowed) {
                return;
            }
            queued += f.wireSize();
            if (queued > limit) {
                overflowed = true;
                queue.clear();
            } else {
                queue.add(f);
                if (f.terminal()) {
                    pausedByRelay.remove(f.id());
                    pausedByClient.remove(f.id());
                } else if (flowControl && queued > pauseAt && pausedByRelay.add(f.id())
                        && !pausedByClient.contains(f.id())) {
                    toAgent.accept(Codec.encode(MessageType.FLOW_PAUSE, f.id(), new Core.Flow()));
                }
                return;
            }
        }
        LOG.warning("relay: " + name + " fell more than " + limit + " bytes behind, disconnecting it");
        hangUp.run();
    }

    /**
     * From the client's read loop: takes the client's own {@code msb.flow.pause/resume} (forwarding or holding
     * it back) and returns true; returns false for every other frame, which the caller forwards.
     */
    public boolean fromClient(Frame f) {
        if (f.flags() != 0 || f.body().length > FLOW_BODY_MAX) {
            return false;
        }
        MessageType type;
        try {
            Message m = Codec.decode(f);
            type = m.type();
        } catch (ProtocolException e) {
            return false; // the agent answers malformed frames itself
        }
        if (type != MessageType.FLOW_PAUSE && type != MessageType.FLOW_RESUME) {
            return false;
        }
        synchronized (this) {
            if (type == MessageType.FLOW_PAUSE) {
                pausedByClient.add(f.id());
                toAgent.accept(f);
            } else {
                pausedByClient.remove(f.id());
                if (!pausedByRelay.contains(f.id())) {
                    toAgent.accept(f);
                }
            }
        }
        return true;
    }

    /** Bytes queued for the client now. */
    public synchronized long queued() {
        return queued;
    }

    /** The client's writer: runs until the client's socket fails or the thread is interrupted. */
    @Override
    public void run() {
        try {
            while (true) {
                Frame f = queue.poll();
                if (f == null) {
                    out.flush();
                    f = queue.take();
                }
                out.write(f.encode());
                written(f.wireSize());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            hangUp.run();
        }
    }

    private synchronized void written(long n) {
        queued -= n;
        if (queued <= resumeAt && !pausedByRelay.isEmpty()) {
            for (Integer id : pausedByRelay) {
                if (!pausedByClient.contains(id)) {
                    toAgent.accept(Codec.encode(MessageType.FLOW_RESUME, id, new Core.Flow()));
                }
            }
            pausedByRelay.clear();
        }
    }
}
