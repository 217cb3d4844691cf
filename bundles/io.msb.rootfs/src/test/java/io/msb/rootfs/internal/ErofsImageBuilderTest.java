package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds images from real layer tarballs and checks them with erofs-utils (and the kernel, when it can mount). */
class ErofsImageBuilderTest {
    @TempDir
    Path tmp;

    // commons-compress writes PAX mtimes with 100 ns resolution, so test times stay on that grid
    static final Instant T0 = Instant.ofEpochSecond(1_600_000_000, 123_456_700);
    static final Instant T1 = Instant.ofEpochSecond(1_650_000_000);
    static final Instant T2 = Instant.ofEpochSecond(1_700_000_000);

    static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static final String LONG = "L".repeat(250) + ".txt";
    static final String UNICODE = "ünïcødé-名前-🙂";

    /** Three layers (gzip, zstd, plain tar) that use every feature; returns them lowest first. */
    List<Layer> layers(Expected want) throws Exception {
        byte[] sh = bytes(1, 3 * 1024 * 1024 + 123);
        byte[] sparse = new byte[5 * 4096 + 10];
        System.arraycopy(bytes(2, 4096), 0, sparse, 4096, 4096);
        sparse[sparse.length - 1] = 7;
        byte[] bigX = bytes(3, 4096 + 2000);
        Path p1 = tmp.resolve("l1.tar.gz");
        try (LayerTar t = new LayerTar(p1, LayerTar.Codec.GZIP)) {
            t.dir("etc", 0755, 0, 0, T0, Map.of());
            t.file("etc/passwd", utf8("root:x:0:0\n"), 0644, 0, 0, T0, Map.of());
            t.dir("keep", 0700, 1000, 1001, T0, Map.of("user.k", "v"));
            t.dir("bin", 0755, 0, 0, T0, Map.of());
            t.file("bin/sh", sh, 0755, 0, 0, T0, Map.of("user.a", "1", "user.b", "two"));
            t.hardlink("bin/sh2", "bin/sh");
            t.symlink("lib", "usr/lib", 0, 0, T0);
            t.dir("dev", 0755, 0, 0, T0, Map.of());
            t.device("dev/null", TarConstants.LF_CHR, 0666, 1, 3, T0);
            t.device("dev/sda", TarConstants.LF_BLK, 0660, 8, 0, T0);
            t.device("dev/wide", TarConstants.LF_CHR, 0600, 4095, 300000, T0);
            t.device("dev/fifo", TarConstants.LF_FIFO, 0640, 0, 0, T0);
            t.dir("opq", 0755, 0, 0, T0, Map.of());
            t.file("opq/a", "a");
            t.file("opq/b", "b");
            t.dir("gone", 0755, 0, 0, T0, Map.of());
            t.file("gone/file", "x");
            t.file("gone2", "y");
            t.dir("was-dir", 0755, 0, 0, T0, Map.of());
            t.file("was-dir/x", "x");
            t.dir("many", 0755, 0, 0, T0, Map.of());
            for (int i = 0; i < 600; i++) {
                t.file("many/file-with-a-longish-name-" + i, i % 7 == 0 ? "" : "n" + i);
            }
            t.dir("sizes", 0755, 0, 0, T0, Map.of());
            for (int n : new int[] {0, 1, 2048, 2049, 4095, 4096, 4097, 8192, 12345}) {
                t.file("sizes/" + n, bytes(n, n), 0600, 7, 8, T0, Map.of());
            }
            t.file("sizes/sparse", sparse, 0644, 0, 0, T0, Map.of());
            t.file(LONG, utf8("long"), 0644, 0, 0, T0, Map.of());
            t.file(UNICODE, utf8("uni"), 0644, 65534, 65534, T0, Map.of());
            t.file("implicit/deep/file", utf8("deep"), 0644, 0, 0, T0, Map.of());
        }
        Path p2 = tmp.resolve("l2.tar.zst");
        try (LayerTar t = new LayerTar(p2, LayerTar.Codec.ZSTD)) {
            t.file("opq/c", "c");
            t.opaque("opq");
            t.whiteout("gone/file");
            t.whiteout("gone2");
            t.file("keep/new", utf8("new"), 0644, 0, 0, T1, Map.of());
            t.file("etc/passwd", utf8("root:x:0:0\nuser:x:1000:1000\n"), 0640, 0, 42, T1, Map.of());
            t.hardlink("etc/passwd-link", "etc/passwd");
            t.dir("etc", 0750, 0, 0, T1, Map.of());
            t.file("was-dir", utf8("now a file"), 0644, 0, 0, T1, Map.of());
        }
        Path p3 = tmp.resolve("l3.tar");
        try (LayerTar t = new LayerTar(p3, LayerTar.Codec.TAR)) {
            t.whiteout("bin/sh");
            t.file(".wh..wh.plnk/123.456", "aufs hard-link bookkeeping, never part of the tree");
            t.hardlink("sizes/link-to-lower", "sizes/4097");
            t.file("bigxattr", bigX, 0644, 0, 0, T2, Map.of("user.big", "z".repeat(3000)));
            // inode + xattrs larger than a block: the inode spans blocks, its data cannot be inline
            t.file("hugexattr", utf8("small"), 0600, 3, 4, T2, Map.of("user.h1", "1".repeat(3000), "user.h2", "2".repeat(3000)));
        }
        want.dir("/", 0755, 0, 0, Instant.EPOCH)
                .dir("/etc", 0750, 0, 0, T1)
                .file("/etc/passwd", utf8("root:x:0:0\nuser:x:1000:1000\n"), 0640, 0, 42, T1)
                .file("/etc/passwd-link", utf8("root:x:0:0\nuser:x:1000:1000\n"), 0640, 0, 42, T1)
                .dir("/keep", 0700, 1000, 1001, T0).xattrs("/keep", Map.of("user.k", "v"))
                .file("/keep/new", utf8("new"), 0644, 0, 0, T1)
                .dir("/bin", 0755, 0, 0, T0)
                .file("/bin/sh2", sh, 0755, 0, 0, T0).xattrs("/bin/sh2", Map.of("user.a", "1", "user.b", "two"))
                .symlink("/lib", "usr/lib", 0, 0, T0)
                .dir("/dev", 0755, 0, 0, T0)
                .device("/dev/null", 'c', 0666, 1, 3, T0)
                .device("/dev/sda", 'b', 0660, 8, 0, T0)
                .device("/dev/wide", 'c', 0600, 4095, 300000, T0)
                .device("/dev/fifo", 'p', 0640, 0, 0, T0)
                .dir("/opq", 0755, 0, 0, T0)
                .file("/opq/c", utf8("c"), 0644, 0, 0, T2)
                .dir("/gone", 0755, 0, 0, T0)
                .file("/was-dir", utf8("now a file"), 0644, 0, 0, T1)
                .dir("/many", 0755, 0, 0, T0)
                .dir("/sizes", 0755, 0, 0, T0)
                .file("/sizes/sparse", sparse, 0644, 0, 0, T0)
                .file("/" + LONG, utf8("long"), 0644, 0, 0, T0)
                .file("/" + UNICODE, utf8("uni"), 0644, 65534, 65534, T0)
                .dir("/implicit", 0755, 0, 0, Instant.EPOCH)
                .dir("/implicit/deep", 0755, 0, 0, Instant.EPOCH)
                .file("/implicit/deep/file", utf8("deep"), 0644, 0, 0, T0)
                .file("/bigxattr", bigX, 0644, 0, 0, T2).xattrs("/bigxattr", Map.of("user.big", "z".repeat(3000)))
                .file("/hugexattr", utf8("small"), 0600, 3, 4, T2)
                .xattrs("/hugexattr", Map.of("user.h1", "1".repeat(3000), "user.h2", "2".repeat(3000)));
        for (int i = 0; i < 600; i++) {
            want.file("/many/file-with-a-longish-name-" + i, utf8(i % 7 == 0 ? "" : "n" + i), 0644, 0, 0, T2);
        }
        for (int n : new int[] {0, 1, 2048, 2049, 4095, 4096, 4097, 8192, 12345}) {
            want.file("/sizes/" + n, bytes(n, n), 0600, 7, 8, T0);
        }
        want.file("/sizes/link-to-lower", bytes(4097, 4097), 0600, 7, 8, T0);
        return List.of(new Layer(p1, "application/vnd.oci.image.layer.v1.tar+gzip"), new Layer(p2, null), new Layer(p3, "application/vnd.oci.image.layer.v1.tar"));
    }

    /** With no tail budget every partial last block goes to the data area instead of beside the inode. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {ErofsImageBuilder.DEFAULT_TAIL_BUDGET, 0})
    void everyFeatureSurvivesFsckAndExtract(long tailBudget) throws Exception {
        Expected want = new Expected();
        List<Layer> layers = layers(want);
        Path img = tmp.resolve("out/root.erofs");
        new ErofsImageBuilder(2, tailBudget).build(layers, img, new byte[16]);
        Path x = tmp.resolve("x");
        Tools.fsckAndExtract(img, x);
        assertEquals(List.of(), want.withoutXattrs().diff(Expected.read(x, false)));
        assertEquals(List.of("root.erofs"), List.of(img.getParent().toFile().list()), "no temp file is left behind");
    }

    @Test
    void kernelMountsTheImage() throws Exception {
        Expected want = new Expected();
        List<Layer> layers = layers(want);
        Path img = tmp.resolve("root.erofs");
        new ErofsImageBuilder().build(layers, img, new byte[16]);
        try (Tools.Mount m = Tools.mount("erofs", "ro", img, tmp.resolve("mnt"))) {
            Path mnt = m.path();
            assertEquals(List.of(), want.userXattrsOnly().diff(Expected.read(mnt, true)));
            // hard links share one inode; a directory's link count is 2 + its subdirectories
            Object ino1 = Files.getAttribute(mnt.resolve("etc/passwd"), "unix:ino", LinkOption.NOFOLLOW_LINKS);
            Object ino2 = Files.getAttribute(mnt.resolve("etc/passwd-link"), "unix:ino", LinkOption.NOFOLLOW_LINKS);
            assertEquals(ino1, ino2);
            assertEquals(2, Files.getAttribute(mnt.resolve("etc/passwd"), "unix:nlink"));
            assertEquals(1, Files.getAttribute(mnt.resolve("bin/sh2"), "unix:nlink"));
            assertEquals(2, Files.getAttribute(mnt.resolve("sizes/link-to-lower"), "unix:nlink"));
            assertEquals(Files.getAttribute(mnt.resolve("sizes/4097"), "unix:ino"),
                    Files.getAttribute(mnt.resolve("sizes/link-to-lower"), "unix:ino"));
            assertEquals(3, Files.getAttribute(mnt.resolve("implicit"), "unix:nlink"));
        }
    }

    /** Zero blocks stay holes, and the image costs no more disk than the layers' uncompressed data. */
    @Test
    void diskUseIsBoundedByTheUncompressedTree() throws Exception {
        Path p = tmp.resolve("zeros.tar.gz");
        byte[] data = bytes(4, 300_000);
        try (LayerTar t = new LayerTar(p, LayerTar.Codec.GZIP)) {
            t.file("zeros", new byte[8 << 20], 0644, 0, 0, T0, Map.of());
            t.file("data", data, 0644, 0, 0, T0, Map.of());
        }
        Path img = tmp.resolve("z.erofs");
        new ErofsImageBuilder().build(List.of(new Layer(p, null)), img, new byte[16]);
        long allocated = UpperDisksTest.allocatedBytes(img);
        assertTrue(Files.size(img) > (8 << 20), "the zero file is part of the image");
        assertTrue(allocated <= data.length + 64 * 1024, "allocated " + allocated + " bytes for 300000 bytes of data");
        Path x = tmp.resolve("x");
        Tools.fsckAndExtract(img, x);
        assertTrue(java.util.Arrays.equals(new byte[8 << 20], Files.readAllBytes(x.resolve("zeros"))));
    }

    @Test
    void noLayersGiveAnEmptyRoot() throws Exception {
        Path img = tmp.resolve("empty.erofs");
        new ErofsImageBuilder().build(List.of(), img, new byte[16]);
        Path x = tmp.resolve("x");
        Tools.fsckAndExtract(img, x);
        assertEquals(List.of(), new Expected().dir("/", 0755, 0, 0, Instant.EPOCH).diff(Expected.read(x, false)));
    }

    /** Binary xattr values (file capabilities, say) must reach the image byte for byte. */
    @Test
    void binaryXattrValuesAreExact() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        Path p = tmp.resolve("caps.tar.gz");
        try (LayerTar t = new LayerTar(p, LayerTar.Codec.GZIP)) {
            t.rawPax(Map.of("SCHILY.xattr.user.bin", all, "SCHILY.xattr.security.capability", cap));
            t.file("ping", utf8("elf"), 0755, 0, 0, T1, Map.of());
        }
        LayerReader reader = new LayerReader(new DataArea(java.nio.channels.FileChannel.open(tmp.resolve("scratch"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)), new LayerReader.TailBudget(1 << 20));
        Inode ping = reader.read(new Layer(p, null)).get(0).inode();
        assertTrue(java.util.Arrays.equals(all, ping.xattrs.get("user.bin")));
        assertTrue(java.util.Arrays.equals(cap, ping.xattrs.get("security.capability")));

        Path img = tmp.resolve("caps.erofs");
        new ErofsImageBuilder().build(List.of(new Layer(p, null)), img, new byte[16]);
        Tools.fsckAndExtract(img, tmp.resolve("x"));
        try (Tools.Mount m = Tools.mount("erofs", "ro", img, tmp.resolve("mnt"))) {
            Path mnt = m.path();
            var view = Files.getFileAttributeView(mnt.resolve("ping"), java.nio.file.attribute.UserDefinedFileAttributeView.class);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(view.size("bin"));
            view.read("bin", b);
            assertTrue(java.util.Arrays.equals(all, b.array()));
        }
    }

    /** name → nid of the entries of {@code dir}, as dump.erofs lists them. */
    static Map<String, Long> dumpLs(Path img, String dir) throws Exception {
        Tools.Result r = Tools.run(Tools.require("dump.erofs").toString(), "--path=" + dir, "--ls", img.toString());
        assertEquals(0, r.exit(), r.output());
        Map<String, Long> out = new java.util.HashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s+(\\d+)\\s+\\d+\\s+(.+)$").matcher(r.output());
        while (m.find()) {
            out.put(m.group(2), Long.parseLong(m.group(1)));
        }
        return out;
    }

    /**
     * The root is not at nid 0 (the kernel's inode number 0, which glibc's readdir skips): every ".." that
     * names the root must be listed, with the root's inode number.
     */
    @Test
    void everyDotDotNamesTheRoot() throws Exception {
        Expected want = new Expected();
        Path img = tmp.resolve("root.erofs");
        new ErofsImageBuilder().build(layers(want), img, new byte[16]);
        Tools.fsckAndExtract(img, tmp.resolve("x"));
        Tools.Result sb = Tools.run(Tools.require("dump.erofs").toString(), "-s", img.toString());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("root nid:\\s+(\\d+)").matcher(sb.output());
        assertTrue(m.find(), sb.output());
        long rootNid = Long.parseLong(m.group(1));
        assertTrue(rootNid != 0, "root nid must not be 0");
        assertEquals(rootNid, dumpLs(img, "/").get("."));
        assertEquals(rootNid, dumpLs(img, "/").get(".."));
        List<String> top = want.nodes.entrySet().stream()
                .filter(e -> e.getValue().type() == 'd' && e.getKey().lastIndexOf('/') == 0 && e.getKey().length() > 1)
                .map(Map.Entry::getKey).toList();
        assertTrue(top.size() >= 5, top.toString());
        for (String dir : top) {
            assertEquals(rootNid, dumpLs(img, dir).get(".."), dir + "/..");
        }
        assertEquals(dumpLs(img, "/implicit").get("."), dumpLs(img, "/implicit/deep").get(".."));

        try (Tools.Mount mounted = Tools.mount("erofs", "ro", img, tmp.resolve("mnt"))) {
            Path mnt = mounted.path();
            Object rootIno = Files.getAttribute(mnt, "unix:ino");
            for (String dir : top) {
                Tools.Result ls = Tools.run("ls", "-ai", mnt + dir);
                java.util.regex.Matcher dd = java.util.regex.Pattern.compile("(?m)^\\s*(\\d+) \\.\\.$").matcher(ls.output());
                assertTrue(dd.find(), "ls -ai " + dir + " lists no '..':\n" + ls.output());
                assertEquals(rootIno.toString(), dd.group(1), dir + "/..");
            }
        }
    }

    /** An empty xattr value means no xattr, as for Go's archive/tar (umoci, Docker, containerd). */
    @Test
    void emptyXattrValuesAreDropped() throws Exception {
        byte[] x = utf8("x");
        assertEquals(0, Xattrs.encode(Map.of("user.empty", new byte[0])).length);
        assertTrue(java.util.Arrays.equals(Xattrs.encode(Map.of("user.full", x)),
                Xattrs.encode(new java.util.TreeMap<>(Map.of("user.empty", new byte[0], "user.full", x)))));

        Path p = tmp.resolve("empty-xattr.tar");
        try (LayerTar t = new LayerTar(p, LayerTar.Codec.TAR)) {
            t.rawPax(Map.of("SCHILY.xattr.user.empty", new byte[0], "SCHILY.xattr.user.full", x));
            t.file("both", utf8("b"), 0644, 0, 0, T1, Map.of());
            t.rawPax(Map.of("SCHILY.xattr.user.empty", new byte[0]));
            t.file("only-empty", utf8("e"), 0644, 0, 0, T1, Map.of());
        }
        Path img = tmp.resolve("x.erofs");
        new ErofsImageBuilder().build(List.of(new Layer(p, null)), img, new byte[16]);
        Tools.fsckAndExtract(img, tmp.resolve("x"));
        try (Tools.Mount m = Tools.mount("erofs", "ro", img, tmp.resolve("mnt"))) {
            Path mnt = m.path();
            assertEquals(List.of(), userXattrs(mnt, "only-empty"));
            assertEquals(List.of("full"), userXattrs(mnt, "both"));
        }
    }

    private static List<String> userXattrs(Path mnt, String file) throws Exception {
        return Files.getFileAttributeView(mnt.resolve(file), java.nio.file.attribute.UserDefinedFileAttributeView.class).list();
    }

    /** The error of building an image of one {@code layer} into {@code out}, which must fail. */
    private static MsbException refused(Path layer, Path out) {
        return assertThrows(MsbException.class,
                () -> new ErofsImageBuilder().build(List.of(new Layer(layer, null)), out, new byte[16]));
    }

    private interface Entries {
        void write(LayerTar tar) throws IOException;
    }

    /** The same for a layer {@code file} holding {@code entries}. */
    private MsbException refused(String file, LayerTar.Codec codec, Entries entries, Path out) throws IOException {
        Path p = tmp.resolve(file);
        try (LayerTar t = new LayerTar(p, codec)) {
            entries.write(t);
        }
        return refused(p, out);
    }

    @Test
    void pathEscapingTheRootIsRefused() throws Exception {
        MsbException e = refused("evil.tar", LayerTar.Codec.TAR, t -> t.file("../../etc/shadow", "x"),
                tmp.resolve("o/root.erofs"));
        assertTrue(e.getMessage().contains("must not contain '..'"), e.getMessage());
        assertEquals(List.of(), List.of(tmp.resolve("o").toFile().list()), "the failed build leaves nothing");
    }

    /**
     * Layers that arrive while the build runs (here last first, each written piecemeal into its .partial file
     * while the builder reads it) give the same tree as layers that were all there to begin with.
     */
    @Test
    void layersArrivingDuringTheBuildGiveTheSameTree() throws Exception {
        Expected want = new Expected();
        List<Layer> onDisk = layers(want);
        Path whole = tmp.resolve("whole/root.erofs");
        new ErofsImageBuilder(2, ErofsImageBuilder.DEFAULT_TAIL_BUDGET).build(onDisk, whole, new byte[16]);

        List<Layer> arriving = new ArrayList<>();
        List<java.util.concurrent.CompletableFuture<Void>> ready = new ArrayList<>();
        for (Layer l : onDisk) {
            arriving.add(new Layer(tmp.resolve("incoming").resolve(l.blob().getFileName()), l.mediaType()));
            ready.add(new java.util.concurrent.CompletableFuture<>());
        }
        Files.createDirectories(tmp.resolve("incoming"));
        // as the image bundle's cache does: 64 KiB writes into <blob>.partial, a rename, then "verified"
        Thread downloader = new Thread(() -> {
            try {
                for (int i = onDisk.size() - 1; i >= 0; i--) {
                    Path blob = arriving.get(i).blob();
                    Path partial = blob.resolveSibling(blob.getFileName() + ".partial");
                    byte[] all = Files.readAllBytes(onDisk.get(i).blob());
                    try (var out = java.nio.channels.FileChannel.open(partial, java.nio.file.StandardOpenOption.CREATE_NEW,
                            java.nio.file.StandardOpenOption.WRITE)) {
                        for (int off = 0; off < all.length; off += 65536) {
                            out.write(java.nio.ByteBuffer.wrap(all, off, Math.min(65536, all.length - off)));
                            Thread.yield();
                        }
                    }
                    Files.move(partial, blob, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    ready.get(i).complete(null);
                }
            } catch (java.io.IOException e) {
                ready.forEach(r -> r.completeExceptionally(e));
            }
        });
        downloader.start();
        Path overlapped = tmp.resolve("overlapped/root.erofs");
        new ErofsImageBuilder(2, ErofsImageBuilder.DEFAULT_TAIL_BUDGET).build(arriving, ready, overlapped, new byte[16]);
        downloader.join();

        Tools.fsckAndExtract(whole, tmp.resolve("x1"));
        Tools.fsckAndExtract(overlapped, tmp.resolve("x2"));
        Expected a = Expected.read(tmp.resolve("x1"), false);
        assertEquals(List.of(), want.withoutXattrs().diff(a));
        assertEquals(List.of(), a.diff(Expected.read(tmp.resolve("x2"), false)));
    }

    /** A layer whose download fails fails the build with that error, and leaves nothing behind. */
    @Test
    void aFailedDownloadFailsTheBuild() throws Exception {
        List<Layer> layers = layers(new Expected());
        MsbException broken = new MsbException("download of layer 2 failed");
        List<java.util.concurrent.CompletableFuture<Void>> ready = List.of(
                java.util.concurrent.CompletableFuture.completedFuture(null),
                java.util.concurrent.CompletableFuture.failedFuture(broken),
                new java.util.concurrent.CompletableFuture<>()); // never arrives: the build must not wait for it
        Path out = tmp.resolve("failed/root.erofs");
        MsbException e = assertThrows(MsbException.class,
                () -> new ErofsImageBuilder(2, ErofsImageBuilder.DEFAULT_TAIL_BUDGET).build(layers, ready, out, new byte[16]));
        assertEquals(broken, e);
        assertEquals(List.of(), List.of(out.getParent().toFile().list()), "the failed build leaves nothing");
        ready.get(2).complete(null); // arriving after the build is over is harmless
    }

    @Test
    void truncatedLayersFailCleanly() throws Exception {
        for (LayerTar.Codec codec : new LayerTar.Codec[] {LayerTar.Codec.GZIP, LayerTar.Codec.ZSTD}) {
            Path p = tmp.resolve("whole." + codec);
            try (LayerTar t = new LayerTar(p, codec)) {
                t.file("big", bytes(9, 2_000_000), 0644, 0, 0, T0, Map.of());
            }
            byte[] all = Files.readAllBytes(p);
            Path cut = Files.write(tmp.resolve("cut." + codec), java.util.Arrays.copyOf(all, all.length / 2));
            Path out = tmp.resolve("o-" + codec + "/root.erofs");
            MsbException e = refused(cut, out);
            assertTrue(e.getMessage().startsWith("reading layer cut." + codec + " failed"), e.getMessage());
            assertEquals(List.of(), List.of(out.getParent().toFile().list()), "the failed build leaves nothing");
        }
    }

    @Test
    void danglingHardLinkIsRefused() throws Exception {
        MsbException e = refused("bad.tar.gz", LayerTar.Codec.GZIP, t -> t.hardlink("a", "nowhere"),
                tmp.resolve("root.erofs"));
        assertTrue(e.getMessage().contains("points at /nowhere, which is missing"), e.getMessage());
    }

    /** Bounded random trees over two layers, checked against a plain path-map model of the merge. */
    @Test
    void randomTrees() throws Exception {
        for (long seed = 1; seed <= 4; seed++) {
            Random rnd = new Random(seed);
            Map<String, Expected.Node> model = new java.util.TreeMap<>();
            model.put("/", new Expected.Node('d', 0755, 0, 0, Instant.EPOCH, 0, "", 0, 0, Map.of()));
            List<Layer> layers = new ArrayList<>();
            for (int l = 0; l < 2; l++) {
                Path p = tmp.resolve("r" + seed + "-" + l + ".tar.zst");
                List<String> dirs = new ArrayList<>(model.keySet().stream().filter(k -> model.get(k).type() == 'd').toList());
                try (LayerTar t = new LayerTar(p, LayerTar.Codec.ZSTD)) {
                    if (l == 1) { // delete a few paths of the lower layer
                        List<String> all = new ArrayList<>(model.keySet());
                        for (int i = 0; i < 5; i++) {
                            String v = all.get(1 + rnd.nextInt(all.size() - 1));
                            if (model.containsKey(v)) {
                                t.whiteout(v.substring(1));
                                model.keySet().removeIf(k -> k.equals(v) || k.startsWith(v + "/"));
                            }
                        }
                        dirs.removeIf(d -> !model.containsKey(d));
                    }
                    for (int i = 0; i < 150; i++) {
                        String parent = dirs.get(rnd.nextInt(dirs.size()));
                        String path = (parent.equals("/") ? "" : parent) + "/n" + l + "_" + i + "_" + "é".repeat(rnd.nextInt(3));
                        Instant t0 = Instant.ofEpochSecond(rnd.nextInt(2_000_000_000), rnd.nextInt(10_000_000) * 100L);
                        int perm = rnd.nextInt(01000);
                        long uid = rnd.nextInt(70000);
                        long gid = rnd.nextInt(70000);
                        switch (rnd.nextInt(3)) {
                            case 0 -> {
                                t.dir(path.substring(1), perm | 0700, uid, gid, t0, Map.of());
                                model.put(path, new Expected.Node('d', perm | 0700, uid, gid, t0, 0, "", 0, 0, Map.of()));
                                dirs.add(path);
                            }
                            case 1 -> {
                                byte[] c = bytes(rnd.nextLong(), rnd.nextInt(3) == 0 ? rnd.nextInt(100_000) : rnd.nextInt(5000));
                                t.file(path.substring(1), c, perm, uid, gid, t0, Map.of());
                                model.put(path, new Expected.Node('f', perm, uid, gid, t0, c.length, Expected.sha(c), 0, 0, Map.of()));
                            }
                            default -> {
                                String target = "t".repeat(1 + rnd.nextInt(300));
                                t.symlink(path.substring(1), target, uid, gid, t0);
                                model.put(path, new Expected.Node('l', 0777, uid, gid, t0, target.length(), target, 0, 0, Map.of()));
                            }
                        }
                    }
                }
                layers.add(new Layer(p, null));
            }
            Path img = tmp.resolve("rand" + seed + ".erofs");
            new ErofsImageBuilder(2, ErofsImageBuilder.DEFAULT_TAIL_BUDGET).build(layers, img, new byte[16]);
            Path x = tmp.resolve("rx" + seed);
            Tools.fsckAndExtract(img, x);
            Expected want = new Expected();
            want.nodes.putAll(model);
            assertEquals(List.of(), want.diff(Expected.read(x, false)), "seed " + seed);
        }
    }
}
