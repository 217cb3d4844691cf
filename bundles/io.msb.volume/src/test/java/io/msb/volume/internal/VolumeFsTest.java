package io.msb.volume.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The confinement of {@link VolumeFs} on a real directory with real symbolic links, as a guest could leave them:
 * absolute and relative links out of the volume, to a directory and to a file, and {@code ..} in paths.
 */
class VolumeFsTest {
    @TempDir
    Path tmp;
    Path root;
    Path outside;
    Path secret;
    final AtomicReference<Integer> quota = new AtomicReference<>();
    VolumeFs fs;

    @BeforeEach
    void layout() throws Exception {
        root = Files.createDirectories(tmp.resolve("volumes/v/data"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret"), "host secret");
        Files.createSymbolicLink(root.resolve("abs"), outside);                         // absolute, to a directory
        Files.createSymbolicLink(root.resolve("rel"), Path.of("../../../outside"));     // relative, to a directory
        Files.createSymbolicLink(root.resolve("file"), secret);                         // absolute, to a file
        Files.createDirectories(root.resolve("dir/sub"));
        Files.writeString(root.resolve("dir/a.txt"), "inside");
        fs = new VolumeFs(root, quota::get, new Object());
    }

    private static void refusedPath(Executable op) {
        var e = assertThrows(InvalidConfigException.class, op);
        assertTrue(List.of("path", "from", "to", "link").contains(e.field()), e.field() + ": " + e.getMessage());
    }

    @Test
    void readsWritesAndListsInside() {
        fs.write("/dir/b.txt", "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals("hello", new String(fs.readAllBytes("/dir/b.txt"), StandardCharsets.UTF_8));
        assertEquals("inside", new String(fs.readAllBytes("/./dir//a.txt"), StandardCharsets.UTF_8));
        assertEquals(List.of("/dir/a.txt", "/dir/b.txt", "/dir/sub"),
                fs.list("/dir").stream().map(FileStat::path).toList());
        assertEquals(FileType.SYMLINK, fs.stat("/abs").type());
        assertEquals(FileType.DIRECTORY, fs.stat("/").type());
        fs.mkdirs("/x/y/z", 0755);
        assertEquals(FileType.DIRECTORY, fs.stat("/x/y/z").type());
        fs.rename("/dir/b.txt", "/x/b.txt");
        fs.copy("/x/b.txt", "/x/c.txt");
        assertEquals("hello", new String(fs.readAllBytes("/x/c.txt"), StandardCharsets.UTF_8));
        fs.removeRecursive("/x");
        assertFalse(fs.exists("/x"));
        assertThrows(NotFoundException.class, () -> fs.stat("/x/c.txt"));
    }

    @Test
    void neverFollowsALinkOut() throws Exception {
        // through a directory link, absolute or relative: refused before anything is opened
        for (String dir : List.of("/abs", "/rel")) {
            refusedPath(() -> fs.readAllBytes(dir + "/secret"));
            refusedPath(() -> fs.write(dir + "/planted", new byte[] {1}));
            refusedPath(() -> fs.list(dir));
            refusedPath(() -> fs.mkdirs(dir + "/new", 0755));
            refusedPath(() -> fs.stat(dir + "/secret"));
            refusedPath(() -> fs.remove(dir + "/secret"));
            refusedPath(() -> fs.rename("/dir/a.txt", dir + "/moved"));
            refusedPath(() -> fs.copy("/dir/a.txt", dir + "/copied"));
        }
        // a link to a file: not read through (O_NOFOLLOW), not copied through, not chmod-ed through
        refusedPath(() -> fs.readAllBytes("/file"));
        refusedPath(() -> fs.copy("/file", "/dir/copy"));
        refusedPath(() -> fs.setStat("/file", 0777, null, null, null));
        refusedPath(() -> fs.realpath("/abs"));
        // writing to the link's path replaces the link, never the file it points to
        fs.write("/file", "replaced".getBytes(StandardCharsets.UTF_8));
        assertEquals(FileType.FILE, fs.stat("/file").type());
        // removing links removes the links only, recursively too
        fs.remove("/abs");
        Files.createDirectories(root.resolve("tree"));
        Files.createSymbolicLink(root.resolve("tree/out"), outside);
        fs.removeRecursive("/tree");
        assertFalse(Files.exists(root.resolve("tree")));
        assertEquals("host secret", Files.readString(secret));
        assertEquals(List.of("secret"), names(outside));
    }

    @Test
    void refusesDotDotAndRelativePaths() {
        for (String bad : List.of("/../outside/secret", "/dir/../../outside/secret", "/dir/..", "..", "dir/a.txt",
                "", "/a\u0000b")) {
            refusedPath(() -> fs.readAllBytes(bad));
            refusedPath(() -> fs.write(bad, new byte[] {1}));
        }
        refusedPath(() -> fs.mkdirs("/x/../../escape", 0755));
        refusedPath(() -> fs.remove("/"));
        refusedPath(() -> fs.write("/", new byte[] {1}));
        assertFalse(Files.exists(tmp.resolve("volumes/escape")));
        assertFalse(Files.exists(tmp.resolve("escape")));
    }

    @Test
    void aQuotaRefusesTheWriteThatWouldExceedItAndKeepsTheOldContent() throws Exception {
        quota.set(1); // 1 MiB; "inside" (6 bytes) is already there
        byte[] almost = new byte[(1 << 20) - 6];
        fs.write("/big", new ByteArrayInputStream(almost), 0644);
        var e = assertThrows(InvalidConfigException.class, () -> fs.write("/more", new byte[1]));
        assertEquals("quotaMib", e.field());
        assertFalse(fs.exists("/more"));
        // replacing a file counts the new size instead of the old one
        fs.write("/big", new ByteArrayInputStream(new byte[10]), 0644);
        assertThrows(InvalidConfigException.class,
                () -> fs.write("/big", new ByteArrayInputStream(new byte[2 << 20]), 0644));
        assertArrayEquals(new byte[10], fs.readAllBytes("/big"));
        fs.write("/big", new ByteArrayInputStream(almost), 0644);
        assertThrows(InvalidConfigException.class, () -> fs.copy("/big", "/big2"));
        assertEquals(almost.length, fs.stat("/big").size());
        // no staged file is left behind by the refusals
        assertEquals(List.of("abs", "big", "dir", "file", "rel"), names(root));
        quota.set(null);
        fs.write("/more", new byte[2 << 20]);
        assertEquals(2 << 20, fs.stat("/more").size());
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
