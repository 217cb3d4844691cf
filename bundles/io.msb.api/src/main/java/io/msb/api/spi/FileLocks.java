package io.msb.api.spi;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

/**
 * Exclusive file locks between processes (caches that several msb processes share), for implementations of the
 * services here.
 */
public final class FileLocks {
    private static final long MAX_BACKOFF_MILLIS = 50;

    private FileLocks() {
    }

    /**
     * Locks the whole file exclusively, waiting while another process holds it. It polls rather than blocking in
     * {@link FileChannel#lock()}: on Linux that is fcntl(F_SETLKW), whose deadlock detection treats each process
     * as one lock owner and so refuses ("Resource deadlock avoided") a wait that is only circular between
     * processes, not between threads: process A holds X while another of its threads waits for Y, process B holds
     * Y while another of its threads waits for X, and each holder goes on to release.
     *
     * @throws InterruptedIOException when the thread is interrupted while it waits
     */
    public static FileLock lock(FileChannel channel) throws IOException {
        long backoff = 1;
        while (true) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a lock");
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }
}
