package io.msb.image.internal;

import io.msb.api.MsbException;
import io.msb.api.image.ImageReference;
import io.msb.api.MsbHome;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService;
import io.msb.api.image.LayerInfo;
import io.msb.api.image.PullEvent;
import io.msb.api.spi.PlatformObserver;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.LayerRecord;
import io.msb.api.store.ImageStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/** {@link ImageService} over the OCI distribution API, the shared blob cache and the store's image records. */
@Component(service = ImageService.class, configurationPid = "io.msb.image",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ImageServiceConfig.class)
public final class OciImageService implements ImageService, AutoCloseable {
    private static final long PROGRESS_STEP = 1 << 20;

    private final ImageStore records;
    private final ImageSettings settings;
    private final BlobCache cache;
    private final RegistryClient registry;
    private final Manifests.Platform platform;
    private final ExecutorService downloads;
    private final BuiltinImages builtins;
    /** Blobs of pulls in progress here, which prune must not take away before the image is recorded. */
    private final Map<String, AtomicInteger> pinned = new ConcurrentHashMap<>();

    /** Optional: when present, a pull also builds the image's root disk. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile RootfsBuilder rootfs;

    /** Told of every pull (decision 1871); any number, none needed. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile List<PlatformObserver> observers = List.of();

    @Activate
    public OciImageService(@Reference(name = "store") ImageStore store, ImageServiceConfig config) {
        this(store, settings(config));
    }

    /** Plain-Java construction, for tests, benchmarks and tools. */
    public OciImageService(ImageStore records, ImageSettings settings) {
        this.records = records;
        this.settings = settings;
        this.cache = new BlobCache(settings.home().resolve("cache").resolve("blobs").resolve("sha256"), settings.retries(),
                settings.stallTimeoutSeconds());
        this.registry = new RegistryClient(settings, new Credentials(settings.credentials(), settings.dockerConfig()));
        this.platform = Manifests.Platform.parse(settings.platform());
        this.builtins = new BuiltinImages(settings.home().resolve("cache").resolve("builtin"), cache);
        this.downloads = Executors.newFixedThreadPool(settings.maxParallelDownloads(),
                DaemonThreads.numbered("msb-image-download"));
    }

    static ImageSettings settings(ImageServiceConfig c) {
        Map<String, String> mirrors = new HashMap<>();
        for (String m : c.registryMirrors()) {
            int eq = m.indexOf('=');
            if (eq <= 0 || !(m.startsWith("http://", eq + 1) || m.startsWith("https://", eq + 1))) {
                throw Invalid.of("registryMirrors", "entries must be registry=http(s)://host[:port], got '" + m + "'");
            }
            mirrors.put(m.substring(0, eq), m.substring(eq + 1));
        }
        return new ImageSettings(MsbHome.resolve(c.home()), c.maxParallelDownloads(),
                Set.copyOf(Arrays.asList(c.insecureRegistries())), mirrors,
                c.caCertificates().isBlank() ? null : Path.of(c.caCertificates()), Arrays.asList(c.credentials()),
                c.useDockerConfig() ? Credentials.defaultDockerConfig() : null, c.platform(), c.retries(),
                c.stallTimeoutSeconds());
    }

    /** Sets the optional root-disk builder when not running under DS. */
    public void setRootfsBuilder(RootfsBuilder builder) {
        this.rootfs = builder;
    }

    /** Where blobs live: {@code $MSB_HOME/cache/blobs/sha256}. */
    public Path blobDirectory() {
        return cache.root();
    }

    @Override
    public ImageInfo pull(ImageReference reference, PullPolicy policy, Consumer<PullEvent> progress) {
        long began = System.nanoTime();
        boolean[] fetched = {false};
        ImageInfo info = pull(reference, policy, progress, fetched);
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        long bytes = fetched[0] ? info.compressedSize() : 0;
        if (policy != PullPolicy.NEVER) { // a cache lookup (as the boot after a create's pull makes), not a pull
            PlatformObserver.tellAll(observers, o -> o.pulled(key(reference), bytes, took, !fetched[0]));
        }
        return info;
    }

    /** The pull; {@code fetched[0]} says whether it downloaded (else the cache or a builtin had it). */
    private ImageInfo pull(ImageReference reference, PullPolicy policy, Consumer<PullEvent> progress, boolean[] fetched) {
        Consumer<PullEvent> events = serialized(progress == null ? e -> { } : progress);
        String key = key(reference);
        events.accept(new PullEvent.Resolving(key));
        boolean builtin = reference.kind() == ImageReference.Kind.BUILTIN;
        // A builtin image is made here, never fetched: every policy reuses the one already built.
        Optional<ImageInfo> cached = policy == PullPolicy.ALWAYS && !builtin ? Optional.empty() : findComplete(key);
        ImageInfo info;
        if (cached.isEmpty() && builtin) {
            BuiltinImages.Built b = builtins.build(key);
            info = record(key, b.manifestDigest(), b.manifest(), b.config());
            events.accept(new PullEvent.Resolved(info.manifestDigest(), info.layers().size(), info.compressedSize()));
        } else if (cached.isPresent()) {
            info = cached.get();
            events.accept(new PullEvent.Resolved(info.manifestDigest(), info.layers().size(), info.compressedSize()));
        } else if (policy == PullPolicy.NEVER) {
            throw new ImageNotFoundException("image", key + " (it is not cached and the pull policy is NEVER)");
        } else if (reference.kind() == ImageReference.Kind.DIGEST) {
            throw new ImageNotFoundException("image", key + " (a bare digest names a loaded image; it cannot be pulled)");
        } else {
            // a download also materializes, layer by layer as the blobs arrive
            info = fetch(reference, events, rootfs);
            fetched[0] = true;
            events.accept(new PullEvent.Complete(info));
            return info;
        }
        RootfsBuilder builder = rootfs;
        if (builder != null) {
            events.accept(new PullEvent.Materializing(info.manifestDigest()));
            builder.rootDisk(info);
        }
        events.accept(new PullEvent.Complete(info));
        return info;
    }

    private ImageInfo fetch(ImageReference ref, Consumer<PullEvent> events, RootfsBuilder builder) {
        RegistryClient.Manifest top = registry.manifest(ref, ref.manifestRef());
        Manifests.Parsed parsed = Manifests.parse(top.body(), top.contentType());
        RegistryClient.Manifest chosen = top;
        if (parsed instanceof Manifests.Index index) {
            Manifests.Descriptor d = Manifests.select(index, platform);
            chosen = registry.manifest(ref, d.digest());
            parsed = Manifests.parse(chosen.body(), chosen.contentType());
            if (parsed instanceof Manifests.Index) {
                throw new MsbException("image index " + top.digest() + " points to another index for " + platform);
            }
        }
        Manifests.ImageManifest manifest = (Manifests.ImageManifest) parsed;
        String manifestDigest = cache.putBytes(chosen.body());
        List<String> blobs = new ArrayList<>();
        blobs.add(manifestDigest);
        blobs.add(manifest.config().digest());
        manifest.layers().forEach(l -> blobs.add(l.digest()));
        pin(blobs, +1);
        try {
            Manifests.Descriptor cd = manifest.config();
            if (cd.size() > Manifests.MAX_CONFIG_BYTES) {
                throw new MsbException("image config " + cd.digest() + " is larger than " + Manifests.MAX_CONFIG_BYTES + " bytes");
            }
            cache.fetch(cd.digest(), cd.size(), source(ref, cd.digest()), done -> { });
            Manifests.Config config = Manifests.parseConfig(cache.read(cd.digest(), Manifests.MAX_CONFIG_BYTES));
            long total = manifest.layers().stream().mapToLong(Manifests.Descriptor::size).sum();
            events.accept(new PullEvent.Resolved(manifestDigest, manifest.layers().size(), total));
            checkDiffIds(ref.toString(), manifest, config);
            List<Future<?>> running = new ArrayList<>();
            List<CompletableFuture<Void>> arrived = new ArrayList<>();
            for (Manifests.Descriptor layer : manifest.layers()) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                arrived.add(done);
                running.add(downloads.submit(() -> {
                    try {
                        cache.fetch(layer.digest(), layer.size(), source(ref, layer.digest()), throttled(layer, events));
                        done.complete(null);
                    } catch (Throwable t) {
                        done.completeExceptionally(t);
                        throw t;
                    }
                }));
            }
            RuntimeException buildFailure = null;
            if (builder != null) {
                events.accept(new PullEvent.Materializing(manifestDigest));
                try {
                    builder.rootDisk(toInfo(pending(ref.toString(), manifestDigest, manifest, config)), arrived);
                } catch (RuntimeException e) {
                    buildFailure = e; // reported after any download error, which likely caused it
                }
            }
            awaitAll(running);
            ImageInfo info = record(ref.toString(), manifestDigest, manifest, config);
            if (buildFailure != null) {
                throw buildFailure;
            }
            return info;
        } finally {
            pin(blobs, -1);
        }
    }

    /** Records a manifest whose blobs are all in the cache; shared by pull and load. */
    ImageInfo record(String key, String manifestDigest, Manifests.ImageManifest manifest, Manifests.Config config) {
        for (Manifests.Descriptor l : manifest.layers()) {
            if (!cache.has(l.digest())) {
                throw new MsbException("layer " + l.digest() + " of " + key + " vanished from the cache (pruned meanwhile?)");
            }
        }
        ImageRecord rec = pending(key, manifestDigest, manifest, config);
        records.saveImage(rec);
        return toInfo(rec);
    }

    /** The record of an image, whether or not its layers are all here yet. */
    private static ImageRecord pending(String key, String manifestDigest, Manifests.ImageManifest manifest,
            Manifests.Config config) {
        checkDiffIds(key, manifest, config);
        List<LayerRecord> layers = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            Manifests.Descriptor l = manifest.layers().get(i);
            layers.add(new LayerRecord(l.digest(), config.diffIds().get(i), l.mediaType(), l.size()));
        }
        return new ImageRecord(key, manifestDigest, manifest.config().digest(), Manifests.toJson(config.runtime()),
                layers, Instant.now());
    }

    private static void checkDiffIds(String key, Manifests.ImageManifest manifest, Manifests.Config config) {
        if (config.diffIds().size() != manifest.layers().size()) {
            throw new MsbException("image " + key + ": config lists " + config.diffIds().size()
                    + " diff_ids for " + manifest.layers().size() + " layers");
        }
    }

    private BlobCache.Source source(ImageReference ref, String digest) {
        return offset -> {
            RegistryClient.Opened r = registry.blob(ref, digest, offset);
            long start = 0;
            if (r.status() == 206) {
                String range = r.response().headers().firstValue("Content-Range").orElse("");
                var m = java.util.regex.Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)").matcher(range);
                start = m.matches() ? Long.parseLong(m.group(1)) : -1;
            }
            return new BlobCache.Ranged(r.body(), start, r);
        };
    }

    /** Per-layer progress, at most one event per MiB plus the last. */
    private static java.util.function.LongConsumer throttled(Manifests.Descriptor layer, Consumer<PullEvent> events) {
        long[] last = {-1};
        return done -> {
            if (done == layer.size() || done - last[0] >= PROGRESS_STEP || last[0] < 0) {
                if (done != last[0]) {
                    last[0] = done;
                    events.accept(new PullEvent.LayerProgress(layer.digest(), done, layer.size()));
                }
            }
        };
    }

    private static Consumer<PullEvent> serialized(Consumer<PullEvent> consumer) {
        return event -> {
            synchronized (consumer) {
                consumer.accept(event);
            }
        };
    }

    private static void awaitAll(List<Future<?>> running) {
        RuntimeException first = null;
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause() instanceof RuntimeException r ? r : new MsbException(e.getCause().toString(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.forEach(x -> x.cancel(true));
                throw new MsbException("pull interrupted", e);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private synchronized void pin(List<String> digests, int delta) {
        for (String d : digests) {
            pinned.computeIfAbsent(d, k -> new AtomicInteger()).addAndGet(delta);
            pinned.computeIfPresent(d, (k, v) -> v.get() <= 0 ? null : v);
        }
    }

    /** The record key: the normalised reference; only known builtin names pass. */
    static String key(ImageReference reference) {
        if (reference.kind() == ImageReference.Kind.BUILTIN) {
            BuiltinImages.requireKnown(reference.toString());
        }
        return reference.toString();
    }

    private Optional<ImageInfo> findComplete(String key) {
        return records.findImage(key).filter(r -> cache.has(r.manifestDigest()) && cache.has(r.configDigest())
                && r.layers().stream().allMatch(l -> cache.has(l.digest()))).map(OciImageService::toInfo);
    }

    static ImageInfo toInfo(ImageRecord r) {
        List<LayerInfo> layers = r.layers().stream()
                .map(l -> new LayerInfo(l.digest(), l.diffId(), l.mediaType(), l.size())).toList();
        return new ImageInfo(r.reference(), r.manifestDigest(), r.configDigest(), layers,
                Manifests.configFromJson(r.configJson()), r.createdAt());
    }

    @Override
    public Optional<ImageInfo> find(ImageReference reference) {
        return records.findImage(key(reference)).map(OciImageService::toInfo);
    }

    @Override
    public List<ImageInfo> list() {
        return records.listImages().stream().map(OciImageService::toInfo).toList();
    }

    @Override
    public void remove(ImageReference reference) {
        String key = key(reference);
        ImageRecord rec = records.findImage(key).orElseThrow(() -> new ImageNotFoundException("image", key));
        records.deleteImage(key);
        Set<String> stillUsed = referencedBlobs();
        for (String d : blobsOf(rec)) {
            if (!stillUsed.contains(d)) {
                cache.delete(d);
            }
        }
        if (!stillUsed.contains(rec.manifestDigest())) {
            dropRootImage(imagesDir().resolve(rec.manifestDigest()));
        }
    }

    @Override
    public long prune() {
        Set<String> used = referencedBlobs();
        long freed = 0;
        for (String d : cache.list()) {
            if (!used.contains(d)) {
                freed += cache.delete(d);
            }
        }
        if (Files.isDirectory(imagesDir())) {
            try (Stream<Path> dirs = Files.list(imagesDir())) {
                for (Path dir : dirs.toList()) {
                    if (!used.contains(dir.getFileName().toString())) {
                        freed += dropRootImage(dir);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + imagesDir(), e);
            }
        }
        return freed;
    }

    private Path imagesDir() {
        return settings.home().resolve("cache").resolve("images");
    }

    /**
     * Deletes the files a {@link RootfsBuilder} made for a manifest ({@code cache/images/<digest>/}) unless it holds
     * that directory's {@code .lock} right now; the lock file stays, as in the blob cache.
     */
    private static long dropRootImage(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock(); Stream<Path> files = Files.list(dir)) {
            if (lock == null) {
                return 0;
            }
            long freed = 0;
            for (Path f : files.filter(f -> Files.isRegularFile(f) && !f.getFileName().toString().equals(".lock")).toList()) {
                freed += Files.size(f);
                Files.delete(f);
            }
            return freed;
        } catch (OverlappingFileLockException e) {
            return 0; // being built in this process
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the root image in " + dir, e);
        }
    }

    private Set<String> referencedBlobs() {
        Set<String> used = new HashSet<>(pinned.keySet());
        for (ImageRecord r : records.listImages()) {
            used.addAll(blobsOf(r));
        }
        return used;
    }

    private static List<String> blobsOf(ImageRecord r) {
        List<String> out = new ArrayList<>();
        out.add(r.manifestDigest());
        out.add(r.configDigest());
        r.layers().forEach(l -> out.add(l.digest()));
        return out;
    }

    @Override
    public List<ImageInfo> load(Path archive) {
        return new Archives(cache, platform).load(archive).stream()
                .map(img -> record(img.reference(), img.manifestDigest(), img.manifest(), img.config())).toList();
    }

    @Override
    public void save(ImageReference reference, Path archive, ArchiveFormat format) {
        String key = key(reference);
        ImageInfo info = findComplete(key).orElseThrow(() -> new ImageNotFoundException("image", key + " (not cached)"));
        new Archives(cache, platform).save(reference, info, archive, format);
    }

    @Deactivate
    @Override
    public void close() {
        downloads.shutdownNow();
        cache.close();
    }
}
