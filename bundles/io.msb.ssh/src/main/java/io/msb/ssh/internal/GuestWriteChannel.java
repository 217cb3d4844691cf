package io.msb.ssh.internal;

import io.msb.api.fs.SandboxFs;
import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes a new guest file as one {@link SandboxFs#write} stream, fed through a small bounded queue while the client's
 * writes arrive: at most {@link #QUEUED_CHUNKS} client writes wait in memory. The guest API writes whole files, so
 * writes must come in order (sftp and scp clients send them so); a write elsewhere is refused, naming the offsets.
 */
final class GuestWriteChannel extends GuestChannel {
    static final int QUEUED_CHUNKS = 8;
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> chunks = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
    private final CompletableFuture<Void> upload = new CompletableFuture<>();
    private long written;

    /** Starts the guest write at once, so that an empty file is created too. */
    GuestWriteChannel(SandboxFs guest, String path, int mode) {
        super(path);
        DaemonThreads.start("msb-ssh-upload", () -> {
            try {
                guest.write(path, new QueueStream(), mode);
                upload.complete(null);
            } catch (RuntimeException e) {
                upload.completeExceptionally(e);
            }
        });
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        ensureOpen();
        if (position != written) {
            throw new IOException("write of " + path + " at offset " + position + " after " + written + " bytes: writes"
                    + " into a sandbox must be sequential (the guest file is written as one stream)");
        }
        byte[] chunk = new byte[src.remaining()];
        src.get(chunk);
        if (chunk.length > 0) {
            put(chunk);
        }
        written += chunk.length;
        position = written;
        return chunk.length;
    }

    /** Queues a chunk; fails when the guest write has failed (nobody would take it). */
    private void put(byte[] chunk) throws IOException {
        try {
            while (!chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                if (upload.isDone()) {
                    awaitUpload();
                    throw new IOException("write " + path + ": the guest stopped reading");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("write " + path + " interrupted");
        }
    }

    private void awaitUpload() throws IOException {
        try {
            upload.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("write " + path + " interrupted");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? GuestErrors.translate(path, r)
                    : new IOException("write " + path + ": " + e.getCause(), e.getCause());
        }
    }

    @Override
    public int read(ByteBuffer dst) {
        throw new NonReadableChannelException();
    }

    @Override
    public synchronized long size() {
        return written;
    }

    @Override
    public synchronized SeekableByteChannel truncate(long size) throws IOException {
        if (size < written) {
            throw new IOException("truncate " + path + " to " + size + " after " + written + " bytes: a sandbox file"
                    + " being written cannot shrink");
        }
        return this;
    }

    /** Ends the stream and waits for the guest to confirm the file; its error is the close's. */
    @Override
    public synchronized void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        put(END);
        awaitUpload();
    }

    /** The queue as the stream {@link SandboxFs#write} reads. */
    private final class QueueStream extends InputStream {
        private byte[] current = new byte[0];
        private int offset;
        private boolean ended;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (offset == current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = chunks.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("write " + path + " interrupted");
                }
                offset = 0;
                ended = current == END;
            }
            int n = Math.min(len, current.length - offset);
            System.arraycopy(current, offset, b, off, n);
            offset += n;
            return n;
        }
    }
}
