package io.msb.runtime.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.InvalidStateException;
import io.msb.api.MsbHome;
import io.msb.api.NotFoundException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.SandboxStatus;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Disk snapshots kept as directories under {@code $MSB_HOME/snapshots} (decisions 1230, 1231): the directory is the
 * record, so a snapshot copied or deleted by hand is what lists. An artifact is built in {@code .creating-<uuid>/}
 * (the upper disk, fsynced, then the manifest, fsynced) and renamed into {@code <name>/}; a killed create leaves only
 * a staging directory, which never lists and is deleted when the service starts.
 */
@Component(name = "io.msb.runtime.snapshots", configurationPid = RuntimeConfig.PID, service = SnapshotService.class)
public final class LocalSnapshotService implements SnapshotService {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");
    static final String CREATING = ".creating-";
    /** The most sandboxes one branch makes: each is a whole VM. */
    static final int MAX_BRANCHES = 64;
    private static final String TRASH = ".trash-";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ImageService imageService;

    private final Path root;
    private final SnapshotArtifacts artifacts;
    private final RuntimeSettings settings;
    private final SandboxService sandboxes;
    private final Supplier<ImageService> images;

    /** The configuration applied now (OSGi only). */
    private volatile RuntimeConfig config;

    @Activate
    public LocalSnapshotService(@Reference(target = "(msb.backend=local)") SandboxBackend sandboxes,
            RuntimeConfig config) {
        this.config = config;
        this.settings = new RuntimeSettings(MsbHome.resolve(config.home()), config.defaultCpus(),
                config.defaultMemoryMib(), config.defaultBackend(), java.time.Duration.ofSeconds(config.stopGraceSeconds()));
        this.artifacts = new SnapshotArtifacts(settings.home().resolve("snapshots"));
        this.root = artifacts.root();
        this.sandboxes = sandboxes;
        this.images = () -> imageService;
        recover();
    }

    /**
     * The default backend is not this service's concern: a change of it alone leaves the service (and the warm pools
     * that reference it) running; any other change restarts it (decision 1707).
     */
    @Modified
    void modified(RuntimeConfig next, ComponentContext context) {
        if (RuntimeReconfiguration.onlyTheDefaultBackend(config, next)) {
            config = next;
        } else {
            RuntimeReconfiguration.restart(context);
        }
    }

    /** Plain-Java construction, outside OSGi. */
    public LocalSnapshotService(RuntimeSettings settings, SandboxService sandboxes, Supplier<ImageService> images) {
        this.settings = settings;
        this.artifacts = new SnapshotArtifacts(settings.home().resolve("snapshots"));
        this.root = artifacts.root();
        this.sandboxes = sandboxes;
        this.images = images;
        recover();
    }

    /** Deletes what a killed create, import or remove left: staging and trash directories. */
    private void recover() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(".")).toList()) {
                SandboxLifecycle.deleteTree(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    /** microsandbox's name rule, as for volumes (decision 1210): one path segment that never starts with . or -. */
    static String name(String field, String name) {
        Check.notEmpty(field, name, 255);
        if (!NAME.matcher(name).matches()) {
            throw Check.invalid(field, "must be 1-63 characters of A-Z a-z 0-9 . _ - and not start with . or -, got '"
                    + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
        }
        return name;
    }

    private static Map<String, String> labels(Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        l.forEach((k, v) -> {
            Check.notEmpty("labels", k, 256);
            Check.maxLength("labels[" + k + "]", v, 4096);
        });
        Check.maxSize("labels", l.keySet(), 256);
        return l;
    }

    @Override
    public SnapshotInfo create(String name, String sourceSandbox, Map<String, String> labels, boolean force) {
        name("name", name);
        Map<String, String> l = labels(labels);
        Check.notEmpty("sourceSandbox", sourceSandbox, 255);
        SandboxInfo source = stopped(sourceSandbox);
        if (!(source.spec().rootfs() instanceof RootfsSource.OciImage oci)) {
            throw Check.invalid("sourceSandbox", "sandbox " + sourceSandbox + " has no OCI image root ("
                    + source.spec().rootfs() + "); only an image-based sandbox can be snapshotted");
        }
        Path upper = settings.sandboxDir(sourceSandbox).resolve(SnapshotManifest.UPPER);
        if (!Files.isRegularFile(upper, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidStateException("cannot snapshot sandbox " + sourceSandbox
                    + ": it has no writable disk yet (it never booted)");
        }
        if (!force && exists(name)) {
            throw new AlreadyExistsException("snapshot", name);
        }
        Path staging = newStaging();
        try {
            Path copy = staging.resolve(SnapshotManifest.UPPER);
            DiskCopy.copy(upper, copy);
            String upperDigest = DiskCopy.sha256(copy);
            String imageDigest = imageDigest(oci);
            SnapshotManifest manifest = new SnapshotManifest(oci.reference().toString(), imageDigest, sourceSandbox,
                    keptSpec(name, source.spec()), DiskCopy.size(copy), upperDigest, l,
                    Instant.now().truncatedTo(ChronoUnit.MILLIS));
            writeManifest(staging, manifest.toJson());
            SandboxInfo after = stopped(sourceSandbox);
            if (!after.updatedAt().equals(source.updatedAt())) {
                throw new InvalidStateException("cannot snapshot sandbox " + sourceSandbox
                        + ": it changed status while its disk was copied; try again once it is stopped");
            }
            return publish(staging, name, force);
        } catch (RuntimeException | Error e) {
            forgetSecretsUnlessPublished(name, e);
            throw e;
        } finally {
            SandboxLifecycle.deleteTree(staging);
        }
    }

    /**
     * The runtime saves the VM into the staging directory ({@link SandboxLifecycle#capture}); the manifest then records
     * the state's digest, and the artifact is published like a disk snapshot (decision 1247).
     */
    @Override
    public SnapshotInfo createResumable(String name, String sourceSandbox, Map<String, String> labels, boolean force) {
        name("name", name);
        Map<String, String> l = labels(labels);
        Check.notEmpty("sourceSandbox", sourceSandbox, 255);
        if (!(sandboxes instanceof SandboxLifecycle runtime)) {
            throw new io.msb.api.UnsupportedFeatureException("resumable snapshots need the local runtime");
        }
        if (!force && exists(name)) {
            throw new AlreadyExistsException("snapshot", name);
        }
        Path staging = newStaging();
        try {
            SandboxLifecycle.Capture capture = runtime.capture(sourceSandbox, staging);
            if (!(capture.spec().rootfs() instanceof RootfsSource.OciImage oci)) {
                throw Check.invalid("sourceSandbox", "sandbox " + sourceSandbox + " has no OCI image root");
            }
            Path upper = staging.resolve(SnapshotManifest.UPPER);
            Path memory = staging.resolve(SnapshotManifest.MEMORY);
            SnapshotManifest.Memory state = new SnapshotManifest.Memory(DiskCopy.size(memory), DiskCopy.sha256(memory),
                    DiskCopy.size(staging.resolve(SnapshotManifest.ROOT)), capture.backend());
            DiskCopy.fsync(memory);
            DiskCopy.fsync(upper);
            SnapshotManifest manifest = new SnapshotManifest(oci.reference().toString(), imageDigest(oci),
                    sourceSandbox, keptSpec(name, capture.spec()), DiskCopy.size(upper), DiskCopy.sha256(upper), l,
                    Instant.now().truncatedTo(ChronoUnit.MILLIS), state);
            writeManifest(staging, manifest.toJson());
            return publish(staging, name, force);
        } catch (RuntimeException | Error e) {
            forgetSecretsUnlessPublished(name, e);
            throw e;
        } finally {
            SandboxLifecycle.deleteTree(staging);
        }
    }

    /**
     * The spec the snapshot keeps: its secrets' values copied under the snapshot's own references (decision 1316), so
     * the manifest holds none and the snapshot outlives its sandbox.
     */
    private io.msb.api.SandboxSpec keptSpec(String name, io.msb.api.SandboxSpec spec) {
        return sandboxes instanceof SandboxLifecycle runtime ? runtime.snapshotSpec(name, spec) : spec;
    }

    private void forgetSecretsUnlessPublished(String name, Throwable failure) {
        if (sandboxes instanceof SandboxLifecycle runtime && !exists(name)) {
            try {
                runtime.forgetSnapshotSecrets(name);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /** The manifest digest of the image a sandbox runs, as the local cache knows it. */
    private String imageDigest(RootfsSource.OciImage oci) {
        String digest = oci.reference().digest();
        ImageService imageService = images.get();
        if (imageService != null) {
            digest = imageService.find(oci.reference()).map(ImageInfo::manifestDigest).orElse(digest);
        }
        return digest;
    }

    /** One create from the snapshot per name; a failure removes those made before it (decision 1249). */
    @Override
    public List<SandboxInfo> branch(String name, List<String> sandboxNames) {
        SnapshotInfo snapshot = require(name);
        if (!snapshot.resumable()) {
            throw Check.invalid("name", "snapshot " + name + " is a disk snapshot; branch restores a resumable one"
                    + " (create sandboxes from a disk snapshot with fromSnapshot)");
        }
        Check.required("sandboxNames", sandboxNames);
        if (sandboxNames.isEmpty() || sandboxNames.size() > MAX_BRANCHES) {
            throw Check.invalid("sandboxNames", "must hold 1 to " + MAX_BRANCHES + " names, holds "
                    + sandboxNames.size());
        }
        if (new java.util.HashSet<>(sandboxNames).size() != sandboxNames.size()) {
            throw Check.invalid("sandboxNames", "must not repeat a name");
        }
        List<SandboxInfo> made = new java.util.ArrayList<>();
        try {
            for (String sandbox : sandboxNames) {
                sandboxes.create(io.msb.api.SandboxSpec.builder(sandbox).fromSnapshot(name).detached(true).build());
                made.add(sandboxes.get(sandbox).orElseThrow());
            }
            return made;
        } catch (RuntimeException e) {
            for (SandboxInfo m : made) {
                try {
                    sandboxes.remove(m.name(), true);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
    }

    private SandboxInfo stopped(String sandbox) {
        SandboxInfo info = sandboxes.get(sandbox).orElseThrow(() -> new NotFoundException("sandbox", sandbox));
        if (info.status() != SandboxStatus.STOPPED) {
            throw new InvalidStateException("cannot snapshot sandbox " + sandbox + ": it is "
                    + info.status().name().toLowerCase() + " (only a stopped sandbox can be snapshotted; stop it first)");
        }
        return info;
    }

    private boolean exists(String name) {
        return Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    private Path newStaging() {
        try {
            Files.createDirectories(root);
            return Files.createDirectory(root.resolve(CREATING + UUID.randomUUID()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory under " + root, e);
        }
    }

    private static void writeManifest(Path dir, byte[] json) {
        Path file = dir.resolve(SnapshotManifest.FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(json));
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Renames a complete staging directory to the snapshot's name, replacing one only when {@code force}. */
    private synchronized SnapshotInfo publish(Path staging, String name, boolean force) {
        Path target = root.resolve(name);
        try {
            if (exists(name)) {
                if (!force) {
                    throw new AlreadyExistsException("snapshot", name);
                }
                SandboxLifecycle.deleteTree(target);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + staging + " to " + target, e);
        }
        return artifacts.read(name).orElseThrow();
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory; the rename is still atomic
        }
    }

    /** See {@link SnapshotArtifacts#copyUpperTo}. */
    public SnapshotInfo copyUpperTo(String name, Path target) {
        name("name", name);
        return artifacts.copyUpperTo(name, target);
    }

    @Override
    public Optional<SnapshotInfo> get(String name) {
        name("name", name);
        return artifacts.read(name);
    }

    @Override
    public List<SnapshotInfo> list() {
        return artifacts.list();
    }

    @Override
    public SnapshotInfo verify(String name) {
        SnapshotInfo info = require(name);
        checkFiles(info.path(), artifacts.manifest(name).orElseThrow(), "snapshot " + name);
        return info;
    }

    /** Every file of an artifact against its manifest: sizes, and the digests of the upper disk and VM state. */
    private static void checkFiles(Path dir, SnapshotManifest manifest, String where) {
        SnapshotArtifacts.check(dir.resolve(SnapshotManifest.UPPER), manifest.sizeBytes(), manifest.upperDigest(), where);
        SnapshotManifest.Memory memory = manifest.memory();
        if (memory != null) {
            SnapshotArtifacts.check(dir.resolve(SnapshotManifest.MEMORY), memory.sizeBytes(), memory.digest(), where);
            SnapshotArtifacts.checkSize(dir.resolve(SnapshotManifest.ROOT), memory.rootSizeBytes(), where);
            if (!Files.isRegularFile(dir.resolve(SnapshotManifest.READY))) {
                throw new io.msb.api.snapshot.SnapshotCorruptException(where + ": " + SnapshotManifest.READY
                        + " is missing");
            }
        }
    }

    /** The files of an artifact, in export order: the manifest first, so an import knows what follows. */
    private static List<String> files(boolean resumable) {
        return resumable ? List.of(SnapshotManifest.FILE, SnapshotManifest.UPPER, SnapshotManifest.MEMORY,
                SnapshotManifest.ROOT, SnapshotManifest.READY) : List.of(SnapshotManifest.FILE, SnapshotManifest.UPPER);
    }

    private SnapshotInfo require(String name) {
        name("name", name);
        return artifacts.read(name).orElseThrow(() -> new NotFoundException("snapshot", name));
    }

    @Override
    public synchronized void remove(String name) {
        require(name);
        SandboxLifecycle.deleteTree(root.resolve(name));
        if (sandboxes instanceof SandboxLifecycle runtime) {
            runtime.forgetSnapshotSecrets(name);
        }
    }

    @Override
    public void exportTo(String name, Path file) {
        SnapshotInfo info = require(name);
        Check.required("file", file);
        Path tmp = file.resolveSibling(file.getFileName() + ".partial-" + UUID.randomUUID());
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (String entry : files(info.resumable())) {
                Path p = info.path().resolve(entry);
                TarArchiveEntry e = new TarArchiveEntry(entry);
                e.setSize(Files.size(p));
                e.setMode(0644);
                tar.putArchiveEntry(e);
                Files.copy(p, tar);
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot export snapshot " + name + " to " + file, e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot move the export to " + file, e);
        }
    }

    @Override
    public SnapshotInfo importFrom(Path file, String name, boolean force) {
        Check.required("file", file);
        if (name != null) {
            name("name", name);
        }
        Path staging = newStaging();
        try {
            try (InputStream in = Files.newInputStream(file); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    String entry = e.getName();
                    if (!e.isFile() || !files(true).contains(entry) || Files.exists(staging.resolve(entry))) {
                        throw Check.invalid("file", file + " holds " + entry + "; a snapshot export holds each of "
                                + String.join(", ", files(true)) + " at most once");
                    }
                    Path out = staging.resolve(entry);
                    if (entry.equals(SnapshotManifest.UPPER) || entry.equals(SnapshotManifest.ROOT)) {
                        DiskCopy.writeSparse(tar, out);
                    } else {
                        Files.copy(tar, out);
                    }
                }
            } catch (NoSuchFileException e) {
                throw Check.invalid("file", file + " does not exist");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            byte[] json;
            try {
                json = Files.readAllBytes(staging.resolve(SnapshotManifest.FILE));
            } catch (NoSuchFileException e) {
                throw Check.invalid("file", file + " has no " + SnapshotManifest.FILE + "; it is not a snapshot export");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            SnapshotManifest manifest = SnapshotManifest.parse(json, file.toString());
            checkFiles(staging, manifest, file.toString());
            if (manifest.memory() == null && Files.exists(staging.resolve(SnapshotManifest.MEMORY))) {
                throw Check.invalid("file", file + " holds a VM state but its manifest is a disk snapshot's");
            }
            String target = name != null ? name : name("name", String.valueOf(file.getFileName())
                    .replaceFirst("\\.tar$", ""));
            if (!force && exists(target)) {
                throw new AlreadyExistsException("snapshot", target);
            }
            for (String entry : files(manifest.memory() != null)) {
                DiskCopy.fsync(staging.resolve(entry));
            }
            return publish(staging, target, force);
        } finally {
            SandboxLifecycle.deleteTree(staging);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort
        }
    }

    Path root() {
        return root;
    }
}
