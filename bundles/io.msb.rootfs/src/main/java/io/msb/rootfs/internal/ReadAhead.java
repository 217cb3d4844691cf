package io.msb.rootfs.internal;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Decompresses on a thread of its own, a few chunks ahead of the reader, so that inflating a layer and
 * parsing/writing it use two cores even when an image has a single big layer.
 */
final class ReadAhead extends InputStream {
    private static final int CHUNK = 1 << 20;
    private static final byte[] EOF = new byte[0];

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(4);
    private final InputStream source;
    private final Thread producer;
    private volatile IOException failure;
    private volatile boolean closed;
    private byte[] current = new byte[0];
    private int pos;

    ReadAhead(InputStream source, String name) {
        this.source = source;
        this.producer = DaemonThreads.start("msb-rootfs-inflate-" + name, this::produce);
    }

    // only this thread touches the source, closing included: a decompressor (native, for zstd) must not
    // be closed while another thread is inside it
    private void produce() {
        try (source) {
            while (!closed) {
                byte[] b = new byte[CHUNK];
                int n = source.readNBytes(b, 0, CHUNK);
                if (n == 0) {
                    break;
                }
                queue.put(n == CHUNK ? b : Arrays.copyOf(b, n));
            }
        } catch (IOException e) {
            failure = e;
        } catch (RuntimeException e) {
            failure = new IOException("decompression failed: " + e, e);
        } catch (InterruptedException e) {
            return; // closed by the reader
        }
        try {
            queue.put(EOF);
        } catch (InterruptedException ignored) {
            // the reader is gone
        }
    }

    private boolean fill() throws IOException {
        if (pos < current.length) {
            return true;
        }
        if (current == EOF) {
            return false;
        }
        try {
            current = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading a layer");
        }
        pos = 0;
        if (current == EOF) {
            if (failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
            return false;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? current[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int done = 0;
        while (done < len && fill()) {
            int n = Math.min(len - done, current.length - pos);
            System.arraycopy(current, pos, b, off + done, n);
            pos += n;
            done += n;
        }
        return done == 0 ? -1 : done;
    }

    @Override
    public void close() {
        closed = true;
        queue.clear(); // unblocks a producer waiting to put; it then sees closed and closes the source
        producer.interrupt();
    }
}
