package io.msb.ssh.internal;

import io.msb.api.fs.SandboxFs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * Reads a guest file as a stream from the agent: sftp clients read ahead in order, so each read continues the open
 * stream; a read further on skips forward, a read behind opens the file again. The buffer given is MINA's, bounded by
 * its largest sftp read.
 */
final class GuestReadChannel extends GuestChannel {
    private final SandboxFs guest;
    private final long size;
    private InputStream stream;
    private long streamPosition;

    /** @param size the file's size when it was opened */
    GuestReadChannel(SandboxFs guest, String path, long size) {
        super(path);
        this.guest = guest;
        this.size = size;
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (stream == null || position < streamPosition) {
            reopen();
        }
        while (streamPosition < position) {
            long skipped = stream.skip(position - streamPosition);
            if (skipped <= 0) {
                if (stream.read() < 0) {
                    return -1;
                }
                skipped = 1;
            }
            streamPosition += skipped;
        }
        // whole requests: a short read makes sftp clients ask again for the rest, behind the reads they already
        // sent, and every read behind opens the file again (the agent streams arrive in pieces of their own size)
        byte[] buf = new byte[dst.remaining()];
        int n = stream.readNBytes(buf, 0, buf.length);
        if (n == 0 && buf.length > 0) {
            return -1;
        }
        dst.put(buf, 0, n);
        position += n;
        streamPosition += n;
        return n;
    }

    private void reopen() throws IOException {
        if (stream != null) {
            stream.close();
        }
        stream = GuestErrors.call(path, () -> guest.read(path));
        streamPosition = 0;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long newSize) {
        throw new NonWritableChannelException();
    }

    @Override
    public synchronized void close() throws IOException {
        open = false;
        if (stream != null) {
            stream.close();
        }
    }
}
