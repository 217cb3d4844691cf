package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.spi.RootfsPatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real mke2fs/debugfs/e2fsck on real sparse files. */
class UpperDisksTest {
    @TempDir
    Path tmp;
    String debugfs;
    UpperDisks uppers;

    @BeforeEach
    void tools() {
        debugfs = Tools.require("debugfs").toString();
        uppers = new UpperDisks(Tools.require("mke2fs").toString(), debugfs, tmp.resolve("templates"));
        Tools.require("e2fsck");
    }

    static long allocatedBytes(Path f) throws Exception {
        Tools.Result r = Tools.run("stat", "-c", "%b %B", f.toString());
        String[] p = r.output().trim().split(" ");
        return Long.parseLong(p[0]) * Long.parseLong(p[1]);
    }

    void fsckClean(Path disk) throws Exception {
        Tools.Result r = Tools.run(Tools.require("e2fsck").toString(), "-fn", disk.toString());
        assertEquals(0, r.exit(), "e2fsck -fn:\n" + r.output());
    }

    /** name → "mode/uid/gid/size" of the entries of a directory, read back with debugfs. */
    Map<String, String> ls(Path disk, String dir) throws Exception {
        Tools.Result r = Tools.run(debugfs, "-R", "ls -p \"" + dir + "\"", disk.toString());
        Map<String, String> out = new HashMap<>();
        for (String line : r.output().split("\n")) {
            String[] f = line.split("/", -1);
            if (line.startsWith("/") && f.length >= 7 && !f[5].equals(".") && !f[5].equals("..")) {
                out.put(f[5], f[2] + "/" + f[3] + "/" + f[4] + "/" + f[6]);
            }
        }
        return out;
    }

    String cat(Path disk, String file) throws Exception {
        Path out = tmp.resolve("cat-out");
        Files.deleteIfExists(out);
        Tools.run(debugfs, "-R", "dump \"" + file + "\" " + out, disk.toString());
        return Files.readString(out);
    }

    @Test
    void freshUpperIsSparseCleanAndHasOverlayDirs() throws Exception {
        Path disk = tmp.resolve("sandboxes/a/upper.ext4");
        uppers.create(disk, 4096);
        assertEquals(4096L << 20, Files.size(disk));
        long used = allocatedBytes(disk);
        assertTrue(used < (1 << 20), "a fresh 4 GiB upper must cost < 1 MiB of disk, costs " + used);
        fsckClean(disk);
        Map<String, String> root = ls(disk, "/");
        assertEquals("040755/0/0/", root.get("upper").substring(0, 11));
        assertTrue(root.containsKey("work"), root.toString());
        assertEquals(List.of("upper.ext4"), List.of(disk.getParent().toFile().list()));
        // Inode tables marked zeroed (the holes are zeros): the guest kernel must not zero them during boot.
        String groups = Tools.run(Tools.require("dumpe2fs").toString(), disk.toString()).output();
        long total = groups.lines().filter(l -> l.matches("Group [0-9]+: .*")).count();
        long zeroed = groups.lines().filter(l -> l.matches("Group [0-9]+: .*") && l.contains("ITABLE_ZEROED")).count();
        assertTrue(total > 0 && zeroed == total, zeroed + " of " + total + " groups have ITABLE_ZEROED");
    }

    /** Without a template directory each upper is formatted afresh: the same disk. */
    @Test
    void withoutTemplatesEachUpperIsFormatted() throws Exception {
        UpperDisks plain = new UpperDisks(Tools.require("mke2fs").toString(), debugfs);
        Path disk = tmp.resolve("plain/upper.ext4");
        plain.create(disk, 64, Inode.directory(0700, 5, 6, 1_700_000_000L, 0));
        assertTrue(allocatedBytes(disk) < (1 << 20), "a fresh upper must cost < 1 MiB of disk");
        fsckClean(disk);
        assertEquals("0700 5 6", stat(disk, "/upper").substring(0, 8));
        assertEquals(List.of("upper.ext4"), List.of(disk.getParent().toFile().list()));
        assertTrue(!Files.exists(tmp.resolve("templates")), "no template without a template directory");
    }

    /**
     * One template per size and root directory, formatted once and copied sparsely on every create; each copy is a
     * disk of its own (a patch to one leaves the others and the template as they were).
     */
    @Test
    void uppersAreCopiedFromOneTemplatePerSizeAndRoot() throws Exception {
        Inode root = Inode.directory(0750, 1000, 1000, 1_700_000_000L, 5);
        uppers.create(tmp.resolve("a.ext4"), 64);
        Path templates = tmp.resolve("templates");
        Path template = templates.resolve(UpperDisks.templateName(64, null));
        Object formatted = Files.readAttributes(template, "unix:ino,ctime");
        uppers.create(tmp.resolve("b.ext4"), 64);
        uppers.create(tmp.resolve("c.ext4"), 64, root);
        uppers.create(tmp.resolve("d.ext4"), 32);
        assertEquals(formatted, Files.readAttributes(template, "unix:ino,ctime"), "the template is made once");
        assertEquals(java.util.Set.of(UpperDisks.templateName(64, null), UpperDisks.templateName(64, root),
                UpperDisks.templateName(32, null)), java.util.Set.of(templates.toFile().list()));
        for (String d : List.of("a", "b", "c", "d")) {
            Path disk = tmp.resolve(d + ".ext4");
            fsckClean(disk);
            assertTrue(allocatedBytes(disk) < (1 << 20), d + ": a copied upper must stay sparse, costs " + allocatedBytes(disk));
            assertTrue(ls(disk, "/").containsKey("work"), d);
        }
        assertEquals(32L << 20, Files.size(tmp.resolve("d.ext4")));
        assertEquals("0750 1000 1000", stat(tmp.resolve("c.ext4"), "/upper").substring(0, 14));
        assertEquals("0755 0 0", stat(tmp.resolve("b.ext4"), "/upper").substring(0, 8));

        uppers.apply(tmp.resolve("a.ext4"), List.of(new RootfsPatch.WriteFile("/only-a", "a".getBytes(StandardCharsets.UTF_8), 0644)));
        assertEquals("a", cat(tmp.resolve("a.ext4"), "/upper/only-a"));
        assertTrue(!ls(tmp.resolve("b.ext4"), "/upper").containsKey("only-a"));
        assertTrue(!ls(template, "/upper").containsKey("only-a"));
    }

    /** "mode uid gid mtime-hex:extra-hex" of {@code path}, read back with debugfs's stat. */
    String stat(Path disk, String path) throws Exception {
        String out = Tools.run(debugfs, "-R", "stat \"" + path + "\"", disk.toString()).output();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?s)Mode:\\s+(\\d+).*User:\\s+(\\d+)\\s+Group:\\s+(\\d+).*\\bmtime: 0x(\\p{XDigit}+):(\\p{XDigit}+)").matcher(out);
        assertTrue(m.find(), out);
        return m.group(1) + " " + m.group(2) + " " + m.group(3) + " " + m.group(4) + ":" + m.group(5);
    }

    /**
     * The guest's / is the upper's root directory: it takes the image root's mode, owner and mtime (here a
     * time past 2038, so the ext4 epoch bits matter, with nanoseconds).
     */
    @Test
    void upperRootTakesTheImageRootsAttributes() throws Exception {
        long sec = 4_300_000_000L;
        Path disk = tmp.resolve("u.ext4");
        uppers.create(disk, 16, Inode.directory(01751, 70000, 1234, sec, 123_456_789));
        fsckClean(disk);
        // low 32 bits of the seconds; extra = nanoseconds << 2 | epoch (seconds >> 32)
        assertEquals(String.format("01751 70000 1234 %08x:%08x", (int) sec, (123_456_789 << 2) | 1), stat(disk, "/upper"));
        assertEquals("0755 0 0", stat(disk, "/work").substring(0, 8), "work/ is the overlay's, not the guest's");

        try (Tools.Mount m = Tools.mount("ext4", "ro,noload", disk, tmp.resolve("mnt"))) {
            Path mnt = m.path();
            Map<String, Object> a = Files.readAttributes(mnt.resolve("upper"), "unix:mode,uid,gid,lastModifiedTime");
            assertEquals(040000 | 01751, a.get("mode"));
            assertEquals(70000, a.get("uid"));
            assertEquals(1234, a.get("gid"));
            assertEquals(java.time.Instant.ofEpochSecond(sec, 123_456_789),
                    ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toInstant());
        }
    }

    @Test
    void patchesLandInTheUpperDirectory() throws Exception {
        Path disk = tmp.resolve("upper.ext4");
        uppers.create(disk, 64);
        Path host = Files.createDirectories(tmp.resolve("host/tree/sub"));
        Files.writeString(host.resolve("inner.txt"), "inner");
        Files.writeString(host.getParent().resolve("top.txt"), "top");
        Files.createSymbolicLink(host.getParent().resolve("link"), Path.of("top.txt"));
        byte[] big = new byte[300_000];
        new java.util.Random(5).nextBytes(big);
        uppers.apply(disk, List.of(
                new RootfsPatch.WriteFile("/etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8), 0640),
                new RootfsPatch.AppendFile("/etc/motd", "world\n".getBytes(StandardCharsets.UTF_8)),
                new RootfsPatch.AppendFile("/var/log/new.log", "first\n".getBytes(StandardCharsets.UTF_8)),
                new RootfsPatch.Mkdir("/opt/app data", 0700),
                new RootfsPatch.WriteFile("/opt/app data/blob.bin", big, 0600),
                new RootfsPatch.Symlink("/usr/bin/python3", "/usr/local/bin/python"),
                new RootfsPatch.CopyFromHost(host.getParent(), "/srv/tree"),
                new RootfsPatch.WriteFile("/tmp/junk/a", new byte[] {1}, 0644),
                new RootfsPatch.Remove("/tmp/junk"),
                new RootfsPatch.Remove("/etc/shadow"),
                new RootfsPatch.Mkdir("/etc", 0750)));
        fsckClean(disk);
        assertEquals("hello\nworld\n", cat(disk, "/upper/etc/motd"));
        assertEquals("100640/0/0/12", ls(disk, "/upper/etc").get("motd"));
        assertEquals("040750/0/0/", ls(disk, "/upper").get("etc").substring(0, 11), "an explicit Mkdir sets the mode");
        assertEquals("first\n", cat(disk, "/upper/var/log/new.log"));
        assertEquals("040700/0/0/", ls(disk, "/upper/opt").get("app data").substring(0, 11));
        assertEquals("100600/0/0/300000", ls(disk, "/upper/opt/app data").get("blob.bin"));
        Path back = tmp.resolve("blob.back");
        Tools.run(debugfs, "-R", "dump \"/upper/opt/app data/blob.bin\" " + back, disk.toString());
        assertTrue(java.util.Arrays.equals(big, Files.readAllBytes(back)));
        assertTrue(ls(disk, "/upper/usr/local/bin").get("python").startsWith("120777/0/0/"));
        assertEquals("inner", cat(disk, "/upper/srv/tree/sub/inner.txt"));
        assertEquals("top", cat(disk, "/upper/srv/tree/top.txt"));
        assertTrue(ls(disk, "/upper/srv/tree").get("link").startsWith("120777/"));
        // removals are overlayfs whiteouts: character devices 0:0 (the subtree written before is gone)
        assertTrue(ls(disk, "/upper/tmp").get("junk").startsWith("020000/0/0/"), ls(disk, "/upper/tmp").toString());
        assertTrue(ls(disk, "/upper/etc").get("shadow").startsWith("020000/0/0/"));
        assertTrue(ls(disk, "/upper/tmp/junk").isEmpty());
    }

    @Test
    void badPatchesAndSizesNameTheFieldAndTheRule() throws Exception {
        Path disk = tmp.resolve("u.ext4");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> uppers.create(disk, 8));
        assertEquals("upperSizeMib", e.field());
        assertEquals("invalid config: upperSizeMib must be between 16 and 16777216 MiB, got 8", e.getMessage());
        uppers.create(disk, 16);
        e = assertThrows(InvalidConfigException.class, () -> uppers.apply(disk, List.of(
                new RootfsPatch.Mkdir("/ok", 0755), new RootfsPatch.WriteFile("etc/x", new byte[0], 0644))));
        assertEquals("patches[1].path", e.field());
        assertTrue(e.getMessage().contains("patches[1].path must be an absolute path below /: etc/x"), e.getMessage());
        e = assertThrows(InvalidConfigException.class, () -> uppers.apply(disk, List.of(
                new RootfsPatch.Remove("/a/../b"))));
        assertTrue(e.getMessage().contains("must be normalised"), e.getMessage());
        e = assertThrows(InvalidConfigException.class, () -> uppers.apply(disk, List.of(
                new RootfsPatch.WriteFile("/a", new byte[0], 0100644))));
        assertEquals("patches[0].mode", e.field());
        e = assertThrows(InvalidConfigException.class, () -> uppers.apply(disk, List.of(
                new RootfsPatch.CopyFromHost(tmp.resolve("nope"), "/x"))));
        assertEquals("patches[0].source", e.field());
        assertTrue(ls(disk, "/upper").isEmpty(), "nothing is applied when any patch is invalid");
    }
}
