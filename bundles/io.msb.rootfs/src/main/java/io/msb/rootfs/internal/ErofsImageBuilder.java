package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Layers → one EROFS image, without root and without unpacking: every layer is decompressed and parsed
 * on its own thread, writing file data straight into the image; the tree is merged in layer order as
 * layers finish, and the metadata is written last. The image appears atomically at its final name. A layer
 * may still be downloading when the build starts: it is read as it arrives.
 */
public final class ErofsImageBuilder {
    /** Default memory for small-file tails kept for inlining (beyond it tails cost a data block each). */
    public static final long DEFAULT_TAIL_BUDGET = 256L << 20;

    private final int threads;
    private final long tailBudget;

    public ErofsImageBuilder(int threads, long tailBudget) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1");
        }
        this.threads = threads;
        this.tailBudget = tailBudget;
    }

    public ErofsImageBuilder() {
        this(Runtime.getRuntime().availableProcessors(), DEFAULT_TAIL_BUDGET);
    }

    /**
     * What a build did: image size and where the time went (nanoseconds): streaming and merging the
     * layers, writing the metadata, and flushing the image to disk.
     */
    public record Result(long size, long layersNanos, long metadataNanos, long syncNanos) {
    }

    /**
     * The first failed download among {@code ready}, as the build's failure; waits for every download when
     * {@code wait}, else looks only at those that have ended.
     */
    private static Optional<ExecutionException> downloadFailure(List<? extends CompletionStage<?>> ready, boolean wait)
            throws InterruptedException {
        for (CompletionStage<?> stage : ready) {
            CompletableFuture<?> r = stage.toCompletableFuture();
            if (!wait && !r.isDone()) {
                continue;
            }
            try {
                r.get();
            } catch (ExecutionException e) {
                return Optional.of(e);
            } catch (java.util.concurrent.CancellationException e) {
                return Optional.of(new ExecutionException(new MsbException("a layer download was cancelled")));
            }
        }
        return Optional.empty();
    }

    /** Builds the image of {@code layers} (lowest first, all on disk) at {@code target}. */
    public Result build(List<Layer> layers, Path target, byte[] uuid) {
        return build(layers, layers.stream().map(l -> CompletableFuture.completedFuture(null)).toList(), target, uuid);
    }

    /**
     * Builds the image of {@code layers} (lowest first) at {@code target} while their blobs may still be
     * downloading: layer {@code i} is read as its blob arrives, and is complete and verified when
     * {@code ready.get(i)} completes. The image is published only once all have; if one fails, so does the
     * build, with that error (a failed download explains the read errors it causes).
     */
    public Result build(List<Layer> layers, List<? extends CompletionStage<?>> ready, Path target, byte[] uuid) {
        if (ready.size() != layers.size()) {
            throw new IllegalArgumentException("ready must have one stage per layer");
        }
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, layers.size())),
                DaemonThreads.named("msb-rootfs-layer"));
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, target.getFileName() + ".", ".tmp");
            long size;
            long t0 = System.nanoTime();
            long t1;
            long t2;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                DataArea data = new DataArea(ch);
                LayerReader reader = new LayerReader(data, new LayerReader.TailBudget(tailBudget));
                // a layer still downloading is read as it arrives; its bytes count only once verified
                List<Future<List<LayerEntry>>> parts = new ArrayList<>();
                for (int i = 0; i < layers.size(); i++) {
                    CompletableFuture<?> r = ready.get(i).toCompletableFuture();
                    Layer l = layers.get(i);
                    Layer arriving = r.isDone() && !r.isCompletedExceptionally() ? l : new Layer(l.blob(), l.mediaType(), r);
                    parts.add(pool.submit(() -> reader.read(arriving)));
                }
                TreeMerger tree = new TreeMerger();
                try {
                    for (int i = 0; i < parts.size(); i++) {
                        tree.apply(parts.get(i).get(), layers.get(i).blob().getFileName().toString());
                        parts.set(i, null); // let the entries go as soon as they are merged
                    }
                } catch (ExecutionException e) {
                    throw downloadFailure(ready, false).orElse(e);
                }
                // the tar may end before its blob does: the image is published only once every blob is verified
                Optional<ExecutionException> failed = downloadFailure(ready, true);
                if (failed.isPresent()) {
                    throw failed.get();
                }
                t1 = System.nanoTime();
                size = new ErofsWriter(ch, data).write(tree.root(), uuid);
                t2 = System.nanoTime();
                // the rename below must not become durable before the data it names
                ch.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            long t3 = System.nanoTime();
            return new Result(size, t1 - t0, t2 - t1, t3 - t2);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new MsbException("building " + target + " failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while building " + target);
        } catch (IOException e) {
            throw new UncheckedIOException("building " + target + " failed", e);
        } finally {
            pool.shutdownNow();
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: a stray temp file is harmless and has a recognisable name
                }
            }
        }
    }
}
