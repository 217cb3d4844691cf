package io.msb.protocol.internal;

import io.msb.protocol.Core;
import io.msb.protocol.MessageType;

/**
 * The bytes one session holds between the connection's reader thread and the session's consumer
 * (decision 0310). Above {@code high} the agent is asked to pause that session's source
 * ({@code msb.flow.pause}); once the consumer brings it down to a quarter, to resume. The reader
 * thread never waits here on an agent that honours pause; it waits (the old whole-connection
 * backpressure of 0302) only on an agent that cannot pause, or one that keeps sending far past a
 * pause, so memory stays bounded either way.
 */
final class Flow {
    /** What may still arrive after a pause: the agent's output backlog (2 MiB + chunks, 0201/0220) with room. */
    static final long IN_FLIGHT = 16L * 1024 * 1024;

    private final Mux mux;
    private final Session session;
    private final long high;
    private long buffered;
    private boolean paused;
    private boolean discarding;

    Flow(Mux mux, Session session, long high) {
        this.mux = mux;
        this.session = session;
        this.high = high;
    }

    /** From the reader thread: n more bytes queued for the consumer. */
    synchronized void added(long n) {
        buffered += n;
        if (!paused && buffered > high) {
            paused = true;
            if (mux.flowControl()) {
                mux.later(() -> signal(MessageType.FLOW_PAUSE));
            }
        }
        long limit = mux.flowControl() ? high + IN_FLIGHT : high;
        boolean interrupted = false;
        while (buffered > limit && !discarding && mux.isOpen()) {
            try {
                wait(100);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** From the consumer: n bytes handed out. */
    synchronized void released(long n) {
        buffered -= n;
        if (paused && buffered <= high / 4) {
            paused = false;
            if (mux.flowControl()) {
                mux.later(() -> signal(MessageType.FLOW_RESUME));
            }
        }
        notifyAll();
    }

    /** The consumer is gone: nothing it holds counts any more, and the source may run freely. */
    synchronized void discard() {
        discarding = true;
        released(buffered);
    }

    synchronized long buffered() {
        return buffered;
    }

    private void signal(MessageType type) {
        if (!mux.isOpen()) {
            return;
        }
        try {
            mux.send(type, session.id(), new Core.Flow());
        } catch (RuntimeException e) {
            // the connection closed meanwhile: every session fails anyway
        }
    }
}
