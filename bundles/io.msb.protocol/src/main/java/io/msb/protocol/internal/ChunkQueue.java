package io.msb.protocol.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Chunks from the reader thread to a consumer's InputStream. The queue is bounded: when the
 * consumer lags, the reader thread blocks, which stops reading the connection (the protocol has
 * no per-session window, so this is its only backpressure). Once the consumer closes the stream,
 * further chunks are dropped instead.
 */
public final class ChunkQueue extends InputStream {
    private static final Object END = new Object();

    private final BlockingQueue<Object> queue;
    private byte[] current;
    private int pos;
    private boolean ended;
    private volatile boolean discarding;
    private IOException error;

    public ChunkQueue(int capacity) {
        queue = new ArrayBlockingQueue<>(capacity);
    }

    /** From the reader thread: blocks while the queue is full and the consumer still reads. */
    public void push(byte[] chunk) {
        if (chunk.length == 0) {
            return;
        }
        offer(chunk);
    }

    public void end() {
        offer(END);
    }

    public void fail(IOException e) {
        offer(e);
    }

    private void offer(Object o) {
        try {
            while (!discarding) {
                if (queue.offer(o, 50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
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
        queue.clear();
    }
}
