package io.msb.protocol.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Chunks from the reader thread to a consumer's InputStream. The reader never waits for the
 * consumer: the session's {@link Flow} asks the agent to pause the source when too much is
 * buffered (decision 0310). Once the consumer closes the stream, further chunks are dropped.
 */
public final class ChunkQueue extends BlockInputStream {
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Flow flow;
    private byte[] current;
    private int pos;
    private boolean ended;
    private volatile boolean discarding;
    private IOException error;

    /** @param high bytes buffered before the agent is asked to pause the session */
    public ChunkQueue(Mux mux, Session session, long high) {
        this.flow = new Flow(mux, session, high);
    }

    /** From the reader thread. */
    public void push(byte[] chunk) {
        if (chunk.length == 0 || discarding) {
            return;
        }
        queue.add(chunk);
        flow.added(chunk.length);
    }

    public void end() {
        queue.add(END);
    }

    public void fail(IOException e) {
        queue.add(e);
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (current == null || pos == current.length) {
            if (error != null) {
                throw error;
            }
            if (ended) {
                return -1;
            }
            Object o;
            try {
                o = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for data");
            }
            if (o == END) {
                ended = true;
            } else if (o instanceof IOException e) {
                error = new IOException(e.getMessage(), e);
            } else {
                current = (byte[]) o;
                pos = 0;
                flow.released(current.length);
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public synchronized int available() {
        return current == null ? 0 : current.length - pos;
    }

    public boolean isDiscarding() {
        return discarding;
    }

    /** The consumer is done: drop queued and future chunks so the connection never stalls on us. */
    @Override
    public void close() {
        discarding = true;
        queue.removeIf(o -> o instanceof byte[]);
        flow.discard();
    }
}
