package io.msb.rootfs.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The bytes of a blob that may still be downloading: read from {@code <blob>.partial} (where the image bundle's
 * cache writes it) as it grows, then from the blob; the stream ends only once {@code verified} completes, and fails
 * with the download's error. Reads are positional, so a download that restarts rewrites the same bytes under us
 * harmlessly. The bytes are unverified until {@code verified} completes: nothing made from them may be published
 * before that.
 */
final class ArrivingBlob extends InputStream {
    private static final long POLL_MILLIS = 2;

    private final Path blob;
    private final Path partial;
    private final CompletableFuture<?> verified;
    private FileChannel channel;
    private boolean onBlob;
    private long position;

    ArrivingBlob(Path blob, CompletableFuture<?> verified) {
        this.blob = blob;
        this.partial = blob.resolveSibling(blob.getFileName() + ".partial");
        this.verified = verified;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            // looked at before the file: once verified, the blob is complete and its end is the end
            boolean done = verified.isDone();
            if (done) {
                checkVerified();
                if (!onBlob) {
                    onBlob = true;
                    reopen(blob);
                }
            } else if (channel == null) {
                reopen(Files.exists(partial) ? partial : blob);
            }
            int n = channel == null ? -1 : channel.read(ByteBuffer.wrap(b, off, len), position);
            if (n > 0) {
                position += n;
                return n;
            }
            if (done) {
                return -1;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for " + blob.getFileName());
            }
        }
    }

    private void checkVerified() throws IOException {
        try {
            verified.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IOException("download of " + blob.getFileName() + " failed: " + cause.getMessage(), cause);
        }
    }

    private void reopen(Path file) throws IOException {
        close();
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            if (file == blob && onBlob) {
                throw new IOException("blob " + blob + " is missing although its download completed", e);
            }
            channel = null; // not started yet, or renamed between our look and our open: look again
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
