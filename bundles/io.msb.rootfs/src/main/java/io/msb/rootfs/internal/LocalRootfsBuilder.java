package io.msb.rootfs.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.RootfsSource;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.LayerInfo;
import io.msb.api.spi.FileLocks;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.RootfsPatch;
import io.msb.api.spi.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The {@link RootfsBuilder} as plain Java (the OSGi component and the benchmark both use it). Images are
 * built once per manifest digest into {@code $MSB_HOME/cache/images/<digest>/root.erofs} from the layer
 * blobs in {@code $MSB_HOME/cache/blobs/sha256/<hex>}; concurrent builders (threads or processes) of the
 * same image wait for one another through a file lock. Upper disks are copied from templates in
 * {@code $MSB_HOME/cache/uppers}, one per size and root directory attributes (decision 1930).
 */
public final class LocalRootfsBuilder implements RootfsBuilder {
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    public static final String IMAGE_FILE = "root.erofs";

    private final Path home;
    private final int defaultUpperSizeMib;
    private final ErofsImageBuilder erofs;
    private final UpperDisks uppers;
    private final Map<String, Object> building = new ConcurrentHashMap<>();

    public LocalRootfsBuilder(Path home, int defaultUpperSizeMib, String mke2fs, String debugfs, ErofsImageBuilder erofs) {
        this.home = home;
        this.defaultUpperSizeMib = defaultUpperSizeMib;
        this.erofs = erofs;
        this.uppers = new UpperDisks(mke2fs, debugfs, home.resolve("cache").resolve("uppers"));
    }

    /** Where the image of {@code manifestDigest} is cached. */
    public Path imageFile(String manifestDigest) {
        return home.resolve("cache").resolve("images").resolve(checkDigest(manifestDigest, "image.manifestDigest"))
                .resolve(IMAGE_FILE);
    }

    /** Where the image bundle keeps a blob. */
    public Path blobFile(String digest) {
        String d = checkDigest(digest, "layer.digest");
        return home.resolve("cache").resolve("blobs").resolve("sha256").resolve(d.substring("sha256:".length()));
    }

    @Override
    public VmSpec.Disk rootDisk(ImageInfo image) {
        return rootDisk(image, image.layers().stream().map(l -> CompletableFuture.completedFuture(null)).toList());
    }

    /** Starts reading each layer as soon as its download completes, so decompression and writing overlap downloads. */
    @Override
    public VmSpec.Disk rootDisk(ImageInfo image, List<? extends CompletionStage<?>> layersReady) {
        if (layersReady.size() != image.layers().size()) {
            throw new IllegalArgumentException("layersReady must have one stage per layer: " + layersReady.size()
                    + " for " + image.layers().size());
        }
        Path target = imageFile(image.manifestDigest());
        if (!Files.isRegularFile(target)) {
            // one builder per digest in this process; the file lock covers other processes
            synchronized (building.computeIfAbsent(image.manifestDigest(), k -> new Object())) {
                build(image, layersReady, target);
            }
        }
        return new VmSpec.Disk(target, true, "raw");
    }

    private void build(ImageInfo image, List<? extends CompletionStage<?>> layersReady, Path target) {
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel lockFile = FileChannel.open(target.resolveSibling(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = FileLocks.lock(lockFile)) {
                if (Files.isRegularFile(target)) {
                    return; // someone else built it while we waited
                }
                // we hold the lock, so temp files here are leftovers of a build that crashed
                try (var stale = Files.newDirectoryStream(target.getParent(), IMAGE_FILE + ".*.tmp")) {
                    for (Path p : stale) {
                        Files.deleteIfExists(p);
                    }
                }
                List<Layer> layers = new ArrayList<>();
                for (int i = 0; i < image.layers().size(); i++) {
                    LayerInfo l = image.layers().get(i);
                    Path blob = blobFile(l.digest());
                    // a layer still downloading is not there yet; one that should be, is checked here
                    CompletableFuture<?> r = layersReady.get(i).toCompletableFuture();
                    boolean arrived = r.isDone() && !r.isCompletedExceptionally();
                    if (arrived && !Files.isRegularFile(blob)) {
                        throw new MsbException("layer blob " + l.digest() + " of " + image.reference()
                                + " is not in the cache (" + blob + "): pull the image first");
                    }
                    layers.add(new Layer(blob, l.mediaType()));
                }
                erofs.build(layers, layersReady, target, uuid(image.manifestDigest()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("building the root image of " + image.reference() + " failed", e);
        }
    }

    // the same image always gets the same volume UUID
    private static byte[] uuid(String digest) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(digest.getBytes(StandardCharsets.US_ASCII));
            byte[] u = Arrays.copyOf(h, 16);
            u[6] = (byte) ((u[6] & 0x0f) | 0x50); // RFC 4122 name-based (v5-style) bits
            u[8] = (byte) ((u[8] & 0x3f) | 0x80);
            return u;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public VmSpec.Disk rootDisk(RootfsSource source) {
        if (source instanceof RootfsSource.HostDirectory d) {
            if (!Files.isDirectory(d.path())) {
                throw new InvalidConfigException("rootfs.path", "rootfs.path must be a directory: " + d.path());
            }
            return new VmSpec.Disk(d.path().toAbsolutePath(), false, "dir");
        }
        if (source instanceof RootfsSource.DiskImage d) {
            if (!Files.isRegularFile(d.path())) {
                throw new InvalidConfigException("rootfs.path", "rootfs.path must be a regular file: " + d.path());
            }
            checkFormat(d);
            return new VmSpec.Disk(d.path().toAbsolutePath(), false,
                    d.format() == RootfsSource.DiskImage.Format.QCOW2 ? "qcow2" : "raw");
        }
        RootfsSource.OciImage o = (RootfsSource.OciImage) source;
        throw new InvalidConfigException("rootfs", "rootfs " + o.reference().text()
                + " is an OCI image: pull it with the image service and pass the pulled ImageInfo");
    }

    // a qcow2 file handed to the guest as raw (or the reverse) would boot into garbage; the magic tells
    private static void checkFormat(RootfsSource.DiskImage d) {
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(d.path())) {
            n = in.readNBytes(head, 0, 4);
        } catch (IOException e) {
            throw new InvalidConfigException("rootfs.path", "rootfs.path must be readable: " + d.path() + ": " + e.getMessage());
        }
        boolean qcow2 = n == 4 && head[0] == 'Q' && head[1] == 'F' && head[2] == 'I' && (head[3] & 0xff) == 0xfb;
        if (qcow2 != (d.format() == RootfsSource.DiskImage.Format.QCOW2)) {
            throw new InvalidConfigException("rootfs.format", "rootfs.format must match the file: " + d.path()
                    + (qcow2 ? " is a qcow2 image, not raw" : " is not a qcow2 image"));
        }
    }

    @Override
    public VmSpec.Disk createUpper(Path file, int sizeMib) {
        return createUpper(file, sizeMib, null);
    }

    /** An upper whose root directory has the attributes of the EROFS {@code lower}'s root (any other lower: the default). */
    @Override
    public VmSpec.Disk createUpper(Path file, int sizeMib, VmSpec.Disk lower) {
        Inode root;
        try {
            root = lower != null && "raw".equals(lower.format()) ? ErofsRoot.read(lower.path()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the root directory of " + lower.path() + " failed", e);
        }
        uppers.create(file, sizeMib <= 0 ? defaultUpperSizeMib : sizeMib, root);
        return new VmSpec.Disk(file, false, "raw");
    }

    @Override
    public void applyPatches(Path upper, List<RootfsPatch> patches) {
        uppers.apply(upper, patches);
    }

    static String checkDigest(String digest, String field) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new InvalidConfigException(field, field + " must be sha256:<64 lowercase hex digits>, got " + digest);
        }
        return digest;
    }
}
