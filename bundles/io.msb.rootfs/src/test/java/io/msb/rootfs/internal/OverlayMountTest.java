package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.spi.RootfsPatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the guest does, done by the host kernel: the EROFS image as lower, the patched ext4 upper's
 * {@code upper/} and {@code work/} as overlayfs upper and work dirs. Needs root, loop devices, erofs and
 * overlay in the kernel; skips otherwise.
 */
class OverlayMountTest {
    @TempDir
    Path tmp;
    private final List<Path> mounts = new ArrayList<>();

    @AfterEach
    void unmount() throws Exception {
        Collections.reverse(mounts);
        for (Path m : mounts) {
            Tools.run("umount", m.toString());
        }
    }

    private void mount(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("mount"));
        cmd.addAll(List.of(args));
        Tools.Result r = Tools.run(cmd.toArray(new String[0]));
        assumeTrue(r.exit() == 0, "cannot mount here (needs root, loop devices, erofs/ext4/overlay): " + r.output());
        mounts.add(Path.of(args[args.length - 1]));
    }

    /** The guest's root: the image as lower, the upper disk's upper/ and work/; returns the merged tree. */
    private Path overlay(Path img, Path upper) throws Exception {
        Path lower = Files.createDirectories(tmp.resolve("lower"));
        Path upperfs = Files.createDirectories(tmp.resolve("upperfs"));
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        mount("-t", "erofs", "-o", "loop,ro", img.toString(), lower.toString());
        mount("-t", "ext4", "-o", "loop", upper.toString(), upperfs.toString());
        mount("-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upperfs + "/upper,workdir="
                + upperfs + "/work", merged.toString());
        return merged;
    }

    @Test
    void patchedUpperOverlaysTheImage() throws Exception {
        Path layer = tmp.resolve("l.tar.gz");
        try (LayerTar t = new LayerTar(layer, LayerTar.Codec.GZIP)) {
            t.file("etc/passwd", "root:x:0:0\n");
            t.file("etc/hostname", "image\n");
            t.file("usr/bin/tool", "tool");
        }
        Path img = tmp.resolve("root.erofs");
        new ErofsImageBuilder().build(List.of(new Layer(layer, null)), img, new byte[16]);
        UpperDisks uppers = new UpperDisks(Tools.require("mke2fs").toString(), Tools.require("debugfs").toString());
        Path upper = tmp.resolve("upper.ext4");
        uppers.create(upper, 64);
        uppers.apply(upper, List.of(
                new RootfsPatch.WriteFile("/etc/hostname", "patched\n".getBytes(StandardCharsets.UTF_8), 0644),
                new RootfsPatch.Remove("/etc/passwd"),
                new RootfsPatch.Remove("/usr/bin"),
                new RootfsPatch.Mkdir("/data", 0700)));

        Path merged = overlay(img, upper);

        assertEquals("patched\n", Files.readString(merged.resolve("etc/hostname")));
        assertFalse(Files.exists(merged.resolve("etc/passwd")), "a Remove hides the image's file");
        assertFalse(Files.exists(merged.resolve("usr/bin")), "and whole directories");
        assertTrue(Files.isDirectory(merged.resolve("usr")));
        assertEquals(0700, (Integer) Files.getAttribute(merged.resolve("data"), "unix:mode") & 07777);
        Files.writeString(merged.resolve("data/new"), "written by the sandbox");
        assertEquals("written by the sandbox", Files.readString(tmp.resolve("upperfs/upper/data/new")));
    }

    /**
     * The guest's / shows the image root's mode and owner (the upper's root copies them), and ".." is listed
     * in directories that only the image has (the image root is not inode 0).
     */
    @Test
    void mergedRootIsTheImageRoot() throws Exception {
        Path layer = tmp.resolve("root.tar");
        try (LayerTar t = new LayerTar(layer, LayerTar.Codec.TAR)) {
            t.dir("./", 0751, 0, 42, java.time.Instant.ofEpochSecond(1_650_000_000), java.util.Map.of());
            t.file("usr/bin/tool", "tool");
            t.file("home/user/.profile", "");
        }
        Path img = tmp.resolve("root.erofs");
        new ErofsImageBuilder().build(List.of(new Layer(layer, null)), img, new byte[16]);
        Path upper = tmp.resolve("upper.ext4");
        new UpperDisks(Tools.require("mke2fs").toString(), Tools.require("debugfs").toString())
                .create(upper, 64, ErofsRoot.read(img));

        Path merged = overlay(img, upper);

        assertEquals(040751, Files.getAttribute(merged, "unix:mode"));
        assertEquals(0, Files.getAttribute(merged, "unix:uid"));
        assertEquals(42, Files.getAttribute(merged, "unix:gid"));
        for (String dir : List.of("usr", "home", "home/user")) {
            Tools.Result ls = Tools.run("ls", "-a", merged.resolve(dir).toString());
            assertEquals(List.of(".", ".."), ls.output().lines().limit(2).toList(), dir + ": " + ls.output());
        }
    }
}
