package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Layers → one EROFS image, without root and without unpacking: every layer is decompressed and parsed
 * on its own thread, writing file data straight into the image; the tree is merged in layer order as
 * layers finish, and the metadata is written last. The image appears atomically at its final name.
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

    /** Builds the image of {@code layers} (lowest first) at {@code target}; returns the image size. */
    public long build(List<Layer> layers, Path target, byte[] uuid) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, layers.size())), r -> {
            Thread t = new Thread(r, "msb-rootfs-layer");
            t.setDaemon(true);
            return t;
        });
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, target.getFileName() + ".", ".tmp");
            long size;
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                DataArea data = new DataArea(ch);
                LayerReader reader = new LayerReader(data, new LayerReader.TailBudget(tailBudget));
                List<Future<List<LayerEntry>>> parts = new ArrayList<>();
                for (Layer l : layers) {
                    parts.add(pool.submit(() -> reader.read(l)));
                }
                TreeMerger tree = new TreeMerger();
                for (int i = 0; i < parts.size(); i++) {
                    tree.apply(parts.get(i).get(), layers.get(i).blob().getFileName().toString());
                    parts.set(i, null); // let the entries go as soon as they are merged
                }
                size = new ErofsWriter(ch, data).write(tree.root(), uuid);
                ch.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            return size;
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
