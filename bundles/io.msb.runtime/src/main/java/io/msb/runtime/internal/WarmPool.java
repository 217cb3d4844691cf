package io.msb.runtime.internal;

import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotInfo;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Sandboxes kept ready for one profile (decision 1260): VMs restored from a resumable snapshot taken just after a
 * fresh sandbox of the profile was ready, run until their relay answered, then paused. A create that the profile
 * serves takes one (it only has to move a directory, attach a network, resume and apply an identity); a background
 * thread restores the next. Entries are started attached, so they die with this process; their directories are
 * {@code $MSB_HOME/pool/<key>-<id>}, and a pool deletes what a dead process left there when it starts.
 */
final class WarmPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WarmPool.class.getName());
    /** After a failed refill (an image that cannot be pulled, a full disk) the next try waits this long. */
    private static final long RETRY_SECONDS = 30;

    /**
     * What a pool serves: sandboxes of this image, machine and network device, with nothing that only a boot
     * applies (mounts, rlimits, init, a snapshot to start from) and the given detachment.
     */
    record Profile(String image, int cpus, int memoryMib, boolean network, int diskSizeMib, boolean detached) {
        boolean serves(SandboxSpec spec) {
            return spec.fromSnapshot() == null && spec.rootfs() instanceof RootfsSource.OciImage oci
                    && oci.reference().toString().equals(image) && spec.cpus() == cpus
                    && spec.memoryMib() == memoryMib && spec.networkEnabled() == network
                    && spec.diskSizeMib() == diskSizeMib && spec.detached() == detached && spec.mounts().isEmpty()
                    && spec.rlimits().isEmpty() && spec.init() == null
                    && !spec.labels().containsKey(WarmPoolComponent.POOL_LABEL);
        }

        /** Names the pool's template snapshot and directories: the same profile gets the same key. */
        String key() {
            String text = String.join("\n", image, Integer.toString(cpus), Integer.toString(memoryMib),
                    Boolean.toString(network), Integer.toString(diskSizeMib));
            return HexFormat.of().formatHex(SnapshotManifest.digest().digest(text.getBytes(StandardCharsets.UTF_8)))
                    .substring(0, 12);
        }
    }

    /** A paused VM ready to be taken, in its own directory. */
    record Entry(Path dir, LiveVm vm) {
        /** Kills the VM and deletes its directory: an entry that will not be taken. */
        void discard() {
            try {
                vm.kill();
            } finally {
                SandboxLifecycle.deleteTree(dir);
            }
        }
    }

    /** Restores the pool's snapshot into a new entry directory, paused; the entry's name is the directory's. */
    interface Warmer {
        LiveVm warm(SnapshotInfo snapshot, String entry, Path dir);
    }

    /** What a pool reports (in {@code msb info}). */
    record Info(Profile profile, int size, int ready, long taken, long missed, String lastError) {
    }

    private final Profile profile;
    private final int size;
    private final Path root;
    private final Supplier<SnapshotInfo> template;
    private final Warmer warmer;
    private final Deque<Entry> ready = new ConcurrentLinkedDeque<>();
    private final ScheduledExecutorService filler;
    private final AtomicBoolean fillQueued = new AtomicBoolean();
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    /** Refills that failed in a row. */
    private final java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;
    private volatile String lastError;

    /**
     * @param size entries kept ready
     * @param root {@code $MSB_HOME/pool}, on the file system of the sandboxes' directories (a take renames)
     * @param template finds or makes the resumable snapshot entries are restored from
     */
    WarmPool(Profile profile, int size, Path root, Supplier<SnapshotInfo> template, Warmer warmer) {
        this.profile = profile;
        this.size = size;
        this.root = root;
        this.template = template;
        this.warmer = warmer;
        this.filler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "msb-pool-" + profile.key());
            t.setDaemon(true);
            return t;
        });
    }

    Profile profile() {
        return profile;
    }

    /** Deletes what an earlier process left of this pool, then fills it in the background. */
    void start() {
        try (Stream<Path> old = Files.isDirectory(root) ? Files.list(root) : Stream.empty()) {
            old.filter(p -> p.getFileName().toString().startsWith(profile.key() + "-"))
                    .forEach(SandboxLifecycle::deleteTree);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot clean " + root + ": " + e.getMessage());
        }
        refill(0);
    }

    /** A ready entry for {@code spec} if this pool serves it and has one; a take starts the refill. */
    Optional<Entry> take(SandboxSpec spec) {
        if (closed || !profile.serves(spec)) {
            return Optional.empty();
        }
        Entry entry = ready.pollFirst();
        (entry == null ? missed : taken).incrementAndGet();
        refill(0);
        return Optional.ofNullable(entry);
    }

    Info info() {
        return new Info(profile, size, ready.size(), taken.get(), missed.get(), lastError);
    }

    private void refill(long delaySeconds) {
        if (!closed && fillQueued.compareAndSet(false, true)) {
            filler.schedule(() -> {
                fillQueued.set(false);
                fill();
            }, delaySeconds, TimeUnit.SECONDS);
        }
    }

    private void fill() {
        try {
            SnapshotInfo snapshot = null;
            while (!closed && ready.size() < size) {
                if (snapshot == null) {
                    snapshot = template.get();
                }
                String id = profile.key() + "-" + UUID.randomUUID().toString().substring(0, 8);
                Path dir = root.resolve(id);
                try {
                    ready.addLast(new Entry(dir, warmer.warm(snapshot, "pool-" + id, dir)));
                } catch (RuntimeException e) {
                    keepForDiagnosis(dir);
                    throw e;
                }
                if (closed) {
                    drain(); // closed while this entry was made
                }
            }
            lastError = null;
        } catch (RuntimeException e) {
            if (closed) {
                return; // closing interrupted the refill
            }
            lastError = String.valueOf(e.getMessage());
            // the first two failures in a row are retried at once: a restored QEMU may die when continued (decision 1248)
            long delay = failures.incrementAndGet() < 3 ? 0 : RETRY_SECONDS;
            LOG.log(Level.WARNING, "warm pool " + profile + " cannot refill, trying again in " + delay + " s: "
                    + e.getMessage() + " (logs of the failed VM in " + root.resolve(profile.key() + "-failed") + ")", e);
            refill(delay);
            return;
        }
        failures.set(0);
    }

    /**
     * A failed entry's directory (its VM gone: the warmer kills what it started) becomes {@code <key>-failed}, the
     * last one only, so its logs ({@code logs/qemu.log}, {@code logs/kernel.log}) can be read; the next start deletes it.
     */
    private void keepForDiagnosis(Path dir) {
        Path failed = root.resolve(profile.key() + "-failed");
        SandboxLifecycle.deleteTree(failed);
        try {
            Files.move(dir, failed);
        } catch (IOException e) {
            SandboxLifecycle.deleteTree(dir);
        }
    }

    private void drain() {
        for (Entry e; (e = ready.pollFirst()) != null;) {
            try {
                e.discard();
            } catch (RuntimeException failure) {
                LOG.log(Level.WARNING, "cannot discard warm VM " + e.dir() + ": " + failure.getMessage());
            }
        }
    }

    /** Stops refilling and kills the ready entries; taken ones are sandboxes and stay. */
    @Override
    public void close() {
        closed = true;
        filler.shutdownNow();
        try {
            filler.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain();
    }
}
