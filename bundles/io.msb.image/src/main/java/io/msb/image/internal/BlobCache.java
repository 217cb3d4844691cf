package io.msb.image.internal;

import io.msb.api.MsbException;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.FileLocks;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Content-addressed blob store shared by all images and processes: {@code <root>/<hex>}. A blob is written as
 * {@code <hex>.partial} under an exclusive lock on {@code <hex>.lock}, verified, then renamed into place, so a
 * blob file that exists is always complete and correct. Lock files are never deleted: deleting one while another
 * process waits on it would let two writers in.
 */
final class BlobCache implements AutoCloseable {
    /** A blob stream positioned at {@code start} (0 when the server ignored the Range request). */
    record Ranged(InputStream in, long start, AutoCloseable resource) {
    }

    @FunctionalInterface
    interface Source {
        Ranged open(long offset) throws IOException;
    }

    private static final int BUFFER = 256 * 1024;
    private final Path root;
    private final int retries;
    private final long stallNanos;
    private final Map<String, CompletableFuture<Path>> inFlight = new ConcurrentHashMap<>();
    private final ScheduledExecutorService watchdog = DaemonThreads.scheduler("msb-image-stall-watchdog");

    BlobCache(Path root, int retries, int stallTimeoutSeconds) {
        this.root = root;
        this.retries = retries;
        this.stallNanos = TimeUnit.SECONDS.toNanos(stallTimeoutSeconds);
    }

    Path root() {
        return root;
    }

    Path path(String digest) {
        return root.resolve(Digests.hex(Digests.requireValid("digest", digest)));
    }

    boolean has(String digest) {
        return Files.isRegularFile(path(digest));
    }

    /**
     * Returns the cached blob, downloading it first if needed. Concurrent callers in this JVM share one download;
     * other processes wait on the file lock and then find the blob in place.
     */
    Path fetch(String digest, long size, Source source, LongConsumer progress) {
        Path target = path(digest);
        if (Files.isRegularFile(target)) {
            progress.accept(size);
            return target;
        }
        CompletableFuture<Path> mine = new CompletableFuture<>();
        CompletableFuture<Path> running = inFlight.putIfAbsent(digest, mine);
        if (running != null) {
            Path p = join(running);
            progress.accept(size);
            return p;
        }
        try {
            Path p = lockedFetch(digest, size, source, progress);
            mine.complete(p);
            return p;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(digest, mine);
        }
    }

    private static Path join(CompletableFuture<Path> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private Path lockedFetch(String digest, long size, Source source, LongConsumer progress) {
        Path target = path(digest);
        try {
            Files.createDirectories(root);
            try (FileChannel lockChannel = FileChannel.open(lockPath(digest), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = FileLocks.lock(lockChannel)) {
                if (Files.isRegularFile(target)) {
                    progress.accept(size);
                    return target; // another process finished it while we waited
                }
                return download(digest, size, source, progress);
            }
        } catch (IOException e) {
            throw new MsbException("blob cache " + root + " is not usable: " + e.getMessage(), e);
        }
    }

    private Path lockPath(String digest) {
        return root.resolve(Digests.hex(digest) + ".lock");
    }

    /** Downloads into the partial file, resuming from what it already holds, with retries and backoff. */
    private Path download(String digest, long size, Source source, LongConsumer progress) throws IOException {
        Path partial = root.resolve(Digests.hex(digest) + ".partial");
        for (int attempt = 0; ; attempt++) {
            MessageDigest md = Digests.sha256();
            long have = hashExisting(partial, md, size);
            try {
                have = transfer(source, partial, md, have, size, progress);
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) { // a cancelled pull, not a transport failure
                    throw new MsbException("download of blob " + digest + " was cancelled", e);
                }
                if (attempt >= retries) {
                    throw new MsbException("downloading blob " + digest + " failed after " + (attempt + 1)
                            + " attempts: " + e.getMessage(), e);
                }
                sleep(Math.min(200L << attempt, 5_000L));
                continue;
            }
            String actual = Digests.of(md);
            if (have != size || !actual.equals(digest)) {
                Files.deleteIfExists(partial);
                throw new MsbException("blob " + digest + " failed verification (got " + actual + ", " + have
                        + " of " + size + " bytes); it was not cached");
            }
            Path target = path(digest);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    private static long hashExisting(Path partial, MessageDigest md, long size) throws IOException {
        if (!Files.exists(partial)) {
            return 0;
        }
        if (Files.size(partial) > size) {
            Files.delete(partial);
            return 0;
        }
        long n = 0;
        try (InputStream in = Files.newInputStream(partial)) {
            byte[] buf = new byte[BUFFER];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
                n += r;
            }
        }
        return n;
    }

    private long transfer(Source source, Path partial, MessageDigest md, long have, long size, LongConsumer progress)
            throws IOException {
        if (have == size && size > 0) {
            return have;
        }
        Ranged r = source.open(have);
        Watch watch = new Watch(r.in());
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(250), stallNanos / 4);
        var guard = watchdog.scheduleWithFixedDelay(watch::check, period, period, TimeUnit.NANOSECONDS);
        try (AutoCloseable resource = r.resource(); InputStream in = r.in();
                FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            if (r.start() != have) {
                if (r.start() != 0) {
                    throw new IOException("server resumed at byte " + r.start() + ", asked for " + have);
                }
                md.reset(); // the server ignored the Range header and sent everything again
                have = 0;
            }
            out.truncate(have);
            out.position(have);
            byte[] buf = new byte[BUFFER];
            for (int n; (n = in.read(buf)) > 0; ) {
                if (have + n > size) {
                    throw new MsbException("blob is larger than its declared " + size + " bytes; it was not cached");
                }
                out.write(ByteBuffer.wrap(buf, 0, n));
                md.update(buf, 0, n);
                have += n;
                watch.progress();
                progress.accept(have);
            }
            out.force(true);
            if (have < size) {
                throw new IOException("connection ended at " + have + " of " + size + " bytes");
            }
            return have;
        } catch (MsbException e) {
            Files.deleteIfExists(partial);
            throw e;
        } catch (IOException e) {
            throw watch.finish() ? new Stalled(e, stallNanos) : e;
        } catch (Exception e) {
            throw new IOException(e);
        } finally {
            guard.cancel(false);
            watch.finish();
        }
    }

    /**
     * Tracks progress of one transfer and closes its body stream after a stall: the JDK's HTTP body stream
     * ignores interrupts, but a close from another thread ends a blocked read with an IOException.
     */
    private final class Watch {
        private final InputStream body;
        private long last = System.nanoTime();
        private boolean done;
        private boolean fired;

        Watch(InputStream body) {
            this.body = body;
        }

        synchronized void progress() {
            last = System.nanoTime();
        }

        synchronized void check() {
            if (!done && !fired && System.nanoTime() - last > stallNanos) {
                fired = true;
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the reader sees the failure
                }
            }
        }

        /** Stops watching; returns whether the watchdog fired. */
        synchronized boolean finish() {
            done = true;
            return fired;
        }
    }

    /** A download that received nothing for too long and was cut by the watchdog. */
    private static final class Stalled extends IOException {
        private static final long serialVersionUID = 1L;

        Stalled(IOException cause, long nanos) {
            super("no data for " + TimeUnit.NANOSECONDS.toSeconds(nanos) + " s", cause);
        }
    }

    /** Stores small content (manifests, configs) whose digest is computed here. */
    String putBytes(byte[] data) {
        String digest = Digests.of(data);
        Path target = path(digest);
        if (Files.isRegularFile(target)) {
            return digest;
        }
        try {
            Files.createDirectories(root);
            Path tmp = root.resolve("tmp-" + UUID.randomUUID());
            Files.write(tmp, data);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write blob " + digest, e);
        }
    }

    record Imported(String digest, long size) {
    }

    /** Copies a stream into the cache, hashing it; the content decides the name. */
    Imported importStream(InputStream in, long maxBytes) throws IOException {
        Files.createDirectories(root);
        Path tmp = root.resolve("tmp-" + UUID.randomUUID());
        MessageDigest md = Digests.sha256();
        long n = 0;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[BUFFER];
            for (int r; (r = in.read(buf)) > 0; ) {
                n += r;
                if (n > maxBytes) {
                    throw new MsbException("archive entry is larger than " + maxBytes + " bytes");
                }
                md.update(buf, 0, r);
                out.write(ByteBuffer.wrap(buf, 0, r));
            }
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        String digest = Digests.of(md);
        Files.move(tmp, path(digest), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return new Imported(digest, n);
    }

    byte[] read(String digest, int max) {
        try (InputStream in = Files.newInputStream(path(digest))) {
            return RegistryClient.readBounded(in, max, "blob " + digest);
        } catch (NoSuchFileException e) {
            throw new MsbException("blob " + digest + " is missing from the cache " + root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob " + digest, e);
        }
    }

    /** Digests of every complete blob. */
    List<String> list() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> s = Files.list(root)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[a-f0-9]{64}")).forEach(n -> out.add("sha256:" + n));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return out;
    }

    /**
     * Deletes a blob (and a stale partial) unless a download holds its lock; returns the bytes freed.
     */
    long delete(String digest) {
        try (FileChannel ch = FileChannel.open(lockPath(digest), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock()) {
            if (lock == null) {
                return 0; // in use by a download in another process
            }
            long freed = 0;
            for (Path p : List.of(path(digest), root.resolve(Digests.hex(digest) + ".partial"))) {
                if (Files.exists(p)) {
                    freed += Files.size(p);
                    Files.delete(p);
                }
            }
            return freed;
        } catch (OverlappingFileLockException e) {
            return 0; // in use by a download in this process
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete blob " + digest, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while waiting to retry a download", e);
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
