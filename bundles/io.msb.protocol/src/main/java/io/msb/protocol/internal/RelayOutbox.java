package io.msb.protocol.internal;

import io.msb.protocol.Core;
import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
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
 *
 * <p>A pause takes effect only once the agent has read it, and until then the agent keeps sending at full
 * speed: under load that round trip (the relay's flow thread, QEMU's host-to-guest path, the guest's
 * scheduler) took hundreds of milliseconds and the frames already on their way pushed a slow client past
 * {@code limit} (decision 0312). So each pause is followed by a {@link Fence}, a ping the agent answers after
 * it has applied the pause; the frames of a session whose pause is not yet fenced were sent before the agent
 * knew and do not end the client. Past {@code limit}, only a session the agent has confirmed paused and that
 * still sends (or an agent without flow control) disconnects it. An agent that never answers the fence may
 * push at most another {@code limit} before the client is dropped, so memory stays bounded.
 */
public final class RelayOutbox implements Runnable {
    private static final Logger LOG = Logger.getLogger(RelayOutbox.class.getName());
    /** Bodies of {@code msb.flow.*} frames are tiny ({v,t,p:{}}); larger frames are not decoded. */
    private static final int FLOW_BODY_MAX = 64;

    /**
     * Confirmation that the agent applied the flow frames sent before: {@link #request} sends, behind them and in
     * the same order, a frame the agent answers in turn (a {@code core.ping}); {@link #answered} counts answers.
     */
    public interface Fence {
        /** Sends a fence behind every flow frame sent so far; returns its number (1, 2, ...). */
        long request();

        /** How many fences the agent has answered; they are answered in order. */
        long answered();
    }

    private final String name;
    private final OutputStream out;
    private final long limit;
    private final long pauseAt;
    private final long resumeAt;
    private final boolean flowControl;
    private final Consumer<Frame> toAgent;
    private final Runnable hangUp;
    private final Fence fence;
    private final LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
    /** Sessions the relay paused, each with the fence that confirms the agent applied the pause. */
    private final Map<Integer, Long> pausedByRelay = new HashMap<>();
    private final Set<Integer> pausedByClient = new HashSet<>();
    private long queued;
    private boolean overflowed;
    private boolean pastLimitLogged;

    /**
     * @param out the client's socket, written only by {@link #run}
     * @param limit most bytes queued before the client is disconnected
     * @param flowControl the agent honours {@code msb.flow.pause/resume}
     * @param toAgent sends a frame to the agent, in call order
     * @param hangUp disconnects the client (its read loop then announces the departure)
     * @param fence confirms the agent applied the flow frames {@code toAgent} sent before (used with flow control)
     */
    public RelayOutbox(String name, OutputStream out, long limit, boolean flowControl, Consumer<Frame> toAgent,
            Runnable hangUp, Fence fence) {
        this.name = name;
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.limit = limit;
        this.pauseAt = limit / 4;
        this.resumeAt = limit / 16;
        this.flowControl = flowControl;
        this.toAgent = toAgent;
        this.hangUp = hangUp;
        this.fence = fence;
    }

    /** From the agent loop: never blocks. */
    public void offer(Frame f) {
        String why;
        synchronized (this) {
            if (overflowed) {
                return;
            }
            queued += f.wireSize();
            if (f.terminal()) {
                pausedByRelay.remove(f.id());
                pausedByClient.remove(f.id());
            } else if (flowControl && queued > pauseAt && !pausedByRelay.containsKey(f.id())) {
                if (!pausedByClient.contains(f.id())) {
                    toAgent.accept(Codec.encode(MessageType.FLOW_PAUSE, f.id(), new Core.Flow()));
                }
                // a client's own pause went out before, through the same ordered path: the fence confirms it too
                pausedByRelay.put(f.id(), fence.request());
            }
            why = queued <= limit ? null : overflow(f);
            if (why == null) {
                queue.add(f);
                return;
            }
            overflowed = true;
            queue.clear();
        }
        LOG.warning("relay: " + name + " fell more than " + limit + " bytes behind (" + why + "), disconnecting it");
        hangUp.run();
    }

    /**
     * Past {@code limit}: null if {@code f} may still be queued because the agent sent it before it could know of
     * the pause (the pause's fence is not answered yet), else why the client is dropped.
     */
    private String overflow(Frame f) {
        if (!flowControl) {
            return "the agent cannot pause its sessions";
        }
        if (queued > 2 * limit) {
            return "the agent did not confirm the pause of its sessions";
        }
        Long pausedAt = pausedByRelay.get(f.id());
        if (!f.terminal() && (pausedAt == null || fence.answered() >= pausedAt)) {
            return "the agent kept sending on session " + Integer.toUnsignedString(f.id()) + " after pausing it";
        }
        if (!pastLimitLogged) {
            pastLimitLogged = true;
            LOG.info(() -> "relay: " + name + " is " + queued + " bytes behind with output the agent sent before its"
                    + " pause of session " + Integer.toUnsignedString(f.id()) + " reached it; keeping the client");
        }
        return null;
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
                if (!pausedByRelay.containsKey(f.id())) {
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
            for (Integer id : pausedByRelay.keySet()) {
                if (!pausedByClient.contains(id)) {
                    toAgent.accept(Codec.encode(MessageType.FLOW_RESUME, id, new Core.Flow()));
                }
            }
            pausedByRelay.clear();
        }
    }
}
