package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SandboxFs over the real agentd (host mode: its file system is the test's temp directory). */
class FsTest extends AgentdOnStdio {
    static SandboxFs fs;

    @BeforeAll
    static void fs() {
        fs = client.fs();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void binaryRoundTripAcrossChunks() throws Exception {
        for (int size : new int[] { 0, 1, 255, 1024 * 1024, 3 * 1024 * 1024 + 1, 20 * 1024 * 1024 + 7 }) {
            byte[] data = random(size, size);
            String path = dir.resolve("round-" + size + ".bin").toString();
            fs.write(path, new ByteArrayInputStream(data), 0640);
            assertArrayEquals(data, Files.readAllBytes(Path.of(path)), "written by the agent: " + size);
            assertArrayEquals(data, fs.readAllBytes(path), "read back through the agent: " + size);
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(path))));
        }
    }

    @Test
    void writeTruncatesAnExistingFile() throws Exception {
        Path p = dir.resolve("trunc.txt");
        Files.writeString(p, "a much longer original content");
        fs.write(p.toString(), "short".getBytes());
        assertEquals("short", Files.readString(p));
    }

    @Test
    void earlyCloseOfAReadLeavesTheConnectionUsable() throws Exception {
        Path p = dir.resolve("big-partial.bin");
        Files.write(p, random(40 * 1024 * 1024, 3));
        try (InputStream in = fs.read(p.toString())) {
            assertEquals(1000, in.readNBytes(1000).length);
        }
        assertTrue(client.ping().toNanos() > 0);
        assertEquals("x", new String(client.run(io.msb.api.exec.ExecOptions.of("echo", "x").build()).stdout()).trim());
    }

    @Test
    void statListAndDirectories() throws Exception {
        Path d = dir.resolve("a/b/c");
        fs.mkdirs(d.toString(), 0750);
        assertTrue(Files.isDirectory(d));
        Files.writeString(d.resolve("f.txt"), "12345");
        FileStat st = fs.stat(d.resolve("f.txt").toString());
        assertEquals(FileType.FILE, st.type());
        assertEquals(5, st.size());
        assertEquals(Files.getLastModifiedTime(d.resolve("f.txt")).toInstant().getEpochSecond(),
                st.modified().getEpochSecond());
        assertEquals(FileType.DIRECTORY, fs.stat(d.toString()).type());
        fs.mkdirs(d.resolve("sub").toString(), 0755);
        List<FileStat> entries = fs.list(d.toString());
        assertEquals(2, entries.size(), entries.toString());
        assertTrue(entries.stream().anyMatch(e -> e.path().endsWith("f.txt") && e.type() == FileType.FILE), entries.toString());
        assertTrue(entries.stream().anyMatch(e -> e.path().endsWith("sub") && e.type() == FileType.DIRECTORY), entries.toString());
    }

    @Test
    void renameCopyRemove() throws Exception {
        Path a = dir.resolve("rc-a.txt");
        Files.writeString(a, "content");
        fs.copy(a.toString(), dir.resolve("rc-b.txt").toString());
        assertEquals("content", Files.readString(dir.resolve("rc-b.txt")));
        fs.rename(dir.resolve("rc-b.txt").toString(), dir.resolve("rc-c.txt").toString());
        assertFalse(Files.exists(dir.resolve("rc-b.txt")));
        fs.remove(dir.resolve("rc-c.txt").toString());
        assertFalse(Files.exists(dir.resolve("rc-c.txt")));
        Path empty = Files.createDirectory(dir.resolve("rc-empty"));
        fs.remove(empty.toString());
        assertFalse(Files.exists(empty));
        Path tree = dir.resolve("rc-tree/x/y");
        Files.createDirectories(tree);
        Files.writeString(tree.resolve("z"), "z");
        fs.removeRecursive(dir.resolve("rc-tree").toString());
        assertFalse(Files.exists(dir.resolve("rc-tree")));
    }

    @Test
    void symlinksAndPaths() throws Exception {
        Path target = Files.writeString(dir.resolve("link-target.txt"), "t");
        Path link = dir.resolve("link");
        fs.symlink(target.toString(), link.toString());
        assertEquals(target.toString(), fs.readlink(link.toString()));
        assertEquals(FileType.FILE, fs.stat(link.toString()).type());
        assertEquals(target.toRealPath().toString(), fs.realpath(dir.resolve("a/../link").toString().replace("a/..", ".")));
    }

    @Test
    void setStatChangesModeAndTime() throws Exception {
        Path p = Files.writeString(dir.resolve("setstat.txt"), "x");
        Instant t = Instant.parse("2020-01-02T03:04:05Z");
        fs.setStat(p.toString(), 0600, null, null, t);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        assertEquals(t, Files.getLastModifiedTime(p).toInstant());
        assertEquals(0600, fs.stat(p.toString()).mode());
    }

    @Test
    void errorsAreReportedAndTheConnectionSurvives() {
        String missing = dir.resolve("does/not/exist").toString();
        assertThrows(NotFoundException.class, () -> fs.stat(missing));
        assertThrows(NotFoundException.class, () -> fs.readAllBytes(missing));
        assertThrows(MsbException.class, () -> fs.list(missing));
        assertThrows(MsbException.class, () -> fs.write(missing, new byte[] { 1 }));
        assertTrue(client.ping().toNanos() > 0);
        assertEquals(0, client.pendingSessions());
    }
}
