package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.RootfsSource;
import io.msb.api.image.ImageConfig;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.LayerInfo;
import io.msb.api.spi.VmSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRootfsBuilderTest {
    @TempDir
    Path home;

    LocalRootfsBuilder builder() {
        return new LocalRootfsBuilder(home, 4096, "mke2fs", "debugfs", new ErofsImageBuilder());
    }

    static String digest(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Puts two layers into the blob cache the way the image bundle does and describes the image. */
    ImageInfo cachedImage() throws Exception {
        Path work = Files.createDirectories(home.resolve("work"));
        Path l1 = work.resolve("a");
        try (LayerTar t = new LayerTar(l1, LayerTar.Codec.GZIP)) {
            t.file("etc/os-release", "ID=test\n");
        }
        Path l2 = work.resolve("b");
        try (LayerTar t = new LayerTar(l2, LayerTar.Codec.ZSTD)) {
            t.file("app/run.sh", "echo hi\n");
        }
        List<LayerInfo> layers = new ArrayList<>();
        for (Path l : List.of(l1, l2)) {
            String d = digest(Files.readAllBytes(l));
            Path blob = home.resolve("cache/blobs/sha256/" + d.substring(7));
            Files.createDirectories(blob.getParent());
            Files.copy(l, blob);
            layers.add(new LayerInfo(d, d, l == l1 ? "application/vnd.oci.image.layer.v1.tar+gzip"
                    : "application/vnd.oci.image.layer.v1.tar+zstd", Files.size(l)));
        }
        return new ImageInfo("127.0.0.1:5000/test:1", digest("manifest".getBytes()), digest("config".getBytes()), layers,
                null, Instant.EPOCH);
    }

    @Test
    void imageIsBuiltOnceAndCachedByManifestDigest() throws Exception {
        ImageInfo image = cachedImage();
        LocalRootfsBuilder b = builder();
        List<Future<VmSpec.Disk>> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        for (int i = 0; i < 3; i++) {
            results.add(pool.submit(() -> b.rootDisk(image)));
        }
        VmSpec.Disk first = results.get(0).get();
        for (Future<VmSpec.Disk> f : results) {
            assertEquals(first, f.get());
        }
        pool.shutdown();
        Path expected = home.resolve("cache/images/" + image.manifestDigest() + "/root.erofs");
        assertEquals(new VmSpec.Disk(expected, true, "raw"), first);
        Object key = Files.getAttribute(expected, "unix:ino");
        b.rootDisk(image);
        builder().rootDisk(image);
        assertEquals(key, Files.getAttribute(expected, "unix:ino"), "a cached image is not rebuilt");
        Path x = home.resolve("x");
        Tools.fsckAndExtract(expected, x);
        assertEquals("ID=test\n", Files.readString(x.resolve("etc/os-release")));
        assertEquals("echo hi\n", Files.readString(x.resolve("app/run.sh")));
    }

    @Test
    void leftoversOfACrashedBuildAreRemoved() throws Exception {
        ImageInfo image = cachedImage();
        Path target = builder().imageFile(image.manifestDigest());
        Files.createDirectories(target.getParent());
        Path stale = Files.write(target.resolveSibling("root.erofs.123.tmp"), new byte[4096]);
        builder().rootDisk(image);
        assertTrue(Files.notExists(stale));
        assertTrue(Files.isRegularFile(target));
    }

    @Test
    void missingBlobAndBadDigestAreReported() throws Exception {
        ImageInfo image = cachedImage();
        ImageInfo bad = new ImageInfo(image.reference(), "sha256:../../etc", image.configDigest(), image.layers(), null, Instant.EPOCH);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> builder().rootDisk(bad));
        assertEquals("image.manifestDigest", e.field());
        String missing = "sha256:" + "0".repeat(64);
        ImageInfo gone = new ImageInfo(image.reference(), digest("other".getBytes()), image.configDigest(),
                List.of(new LayerInfo(missing, missing, "application/vnd.oci.image.layer.v1.tar", 1)), null, Instant.EPOCH);
        MsbException m = assertThrows(MsbException.class, () -> builder().rootDisk(gone));
        assertTrue(m.getMessage().contains("layer blob " + missing + " of 127.0.0.1:5000/test:1 is not in the cache"), m.getMessage());
        assertTrue(Files.notExists(builder().imageFile(gone.manifestDigest())));
    }

    @Test
    void hostDirectoryAndDiskImageSourcesAreValidated() throws Exception {
        LocalRootfsBuilder b = builder();
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> b.rootDisk(new RootfsSource.HostDirectory(Path.of("/x/does-not-exist"))));
        assertEquals("invalid config: rootfs.path must be a directory: /x/does-not-exist", e.getMessage());
        assertEquals("rootfs.path", e.field());
        assertEquals(new VmSpec.Disk(home, false, "dir"), b.rootDisk(new RootfsSource.HostDirectory(home)));

        e = assertThrows(InvalidConfigException.class,
                () -> b.rootDisk(new RootfsSource.DiskImage(home, RootfsSource.DiskImage.Format.RAW)));
        assertEquals("invalid config: rootfs.path must be a regular file: " + home, e.getMessage());
        Path raw = Files.write(home.resolve("disk.raw"), new byte[4096]);
        assertEquals(new VmSpec.Disk(raw, false, "raw"), b.rootDisk(new RootfsSource.DiskImage(raw, RootfsSource.DiskImage.Format.RAW)));
        e = assertThrows(InvalidConfigException.class,
                () -> b.rootDisk(new RootfsSource.DiskImage(raw, RootfsSource.DiskImage.Format.QCOW2)));
        assertEquals("rootfs.format", e.field());
        Path qcow = Files.write(home.resolve("disk.qcow2"), new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
        assertEquals(new VmSpec.Disk(qcow, false, "qcow2"),
                b.rootDisk(new RootfsSource.DiskImage(qcow, RootfsSource.DiskImage.Format.QCOW2)));
    }

    /** The upper made for an image's root disk gives the guest's / the image root's attributes. */
    @Test
    void upperRootCopiesTheImageRoot() throws Exception {
        Tools.require("mke2fs");
        Path blob = home.resolve("cache/blobs/sha256/root-layer");
        Files.createDirectories(blob.getParent());
        try (LayerTar t = new LayerTar(blob, LayerTar.Codec.TAR)) {
            t.dir("./", 0751, 10, 20, Instant.ofEpochSecond(1_650_000_000, 700), Map.of()); // PAX times: 100 ns grid
            t.file("etc/hostname", "x\n");
        }
        String d = digest(Files.readAllBytes(blob));
        Files.move(blob, blob.resolveSibling(d.substring(7)));
        ImageInfo image = new ImageInfo("127.0.0.1:5000/root:1", digest("root-manifest".getBytes()),
                digest("c".getBytes()), List.of(new LayerInfo(d, d, "application/vnd.oci.image.layer.v1.tar", 1)), null,
                Instant.EPOCH);
        LocalRootfsBuilder b = builder();
        VmSpec.Disk lower = b.rootDisk(image);
        Inode root = ErofsRoot.read(lower.path());
        assertEquals(List.of(040751, 10L, 20L, 1_650_000_000L, 700),
                List.of(root.mode, root.uid, root.gid, root.mtime, root.mtimeNsec));

        Path upper = home.resolve("sandboxes/s/upper.ext4");
        b.createUpper(upper, 16, lower);
        String stat = Tools.run("debugfs", "-R", "stat /upper", upper.toString()).output();
        assertTrue(stat.contains("Mode:  0751"), stat);
        assertTrue(stat.matches("(?s).*User:\\s+10\\s+Group:\\s+20\\b.*"), stat);
        assertTrue(stat.contains(String.format("mtime: 0x%08x:%08x", 1_650_000_000, 700 << 2)), stat);

        // a lower that is not EROFS (a raw disk of the user's) leaves mke2fs's root
        Path raw = Files.write(home.resolve("disk.raw"), new byte[8192]);
        Path other = home.resolve("sandboxes/t/upper.ext4");
        b.createUpper(other, 16, new VmSpec.Disk(raw, false, "raw"));
        assertTrue(Tools.run("debugfs", "-R", "stat /upper", other.toString()).output().contains("Mode:  0755"));
    }

    @Test
    void upperUsesTheConfiguredDefaultSize() throws Exception {
        Tools.require("mke2fs");
        Path upper = home.resolve("sandboxes/s/upper.ext4");
        assertEquals(new VmSpec.Disk(upper, false, "raw"), builder().createUpper(upper, 0));
        assertEquals(4096L << 20, Files.size(upper));
    }
}
