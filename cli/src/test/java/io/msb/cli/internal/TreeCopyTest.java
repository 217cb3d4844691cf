package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import io.msb.cli.internal.CpFiles.Entry;
import io.msb.cli.internal.CpFiles.Kind;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The copy walk on the host's real file system, and what it does with a source that lies (a sandbox's listing is
 * untrusted): nothing is ever written outside the destination.
 */
class TreeCopyTest {
    @TempDir
    Path tmp;

    private void copy(CpFiles from, String src, String dest) throws Exception {
        new TreeCopy(from, new HostFiles()).run(CpLocation.parse("SRC", src), CpLocation.parse("DEST", dest), false);
    }

    @Test
    void aTreeIsCopiedWithModesLinksAndTimes() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("a/b"));
        byte[] big = new byte[3 << 20];
        new Random(1).nextBytes(big);
        Files.write(src.resolve("big.bin"), big);
        Files.writeString(src.resolve("run.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(src.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(src.resolve("secret"), "s");
        Files.setPosixFilePermissions(src.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
        Files.createSymbolicLink(src.resolve("a/link"), Path.of("../run.sh"));
        Files.setPosixFilePermissions(src.resolve("a/b"), PosixFilePermissions.fromString("r-x------"));
        Files.setLastModifiedTime(src.resolve("secret"), java.nio.file.attribute.FileTime.fromMillis(1_000_000_000L));

        Path dest = Files.createDirectory(tmp.resolve("dest"));
        copy(new HostFiles(), src.toString(), dest.toString()); // an existing directory: into it, as "src"
        Path out = dest.resolve("src");
        assertArrayEquals(big, Files.readAllBytes(out.resolve("big.bin")));
        assertEquals("rwxr-xr-x", mode(out.resolve("run.sh")));
        assertEquals("rw-------", mode(out.resolve("secret")));
        assertEquals("r-x------", mode(out.resolve("a/b")));
        assertEquals(1_000_000L, Files.getLastModifiedTime(out.resolve("secret")).toMillis() / 1000);
        assertEquals(Path.of("../run.sh"), Files.readSymbolicLink(out.resolve("a/link")));

        copy(new HostFiles(), src + "/.", tmp.resolve("fresh").toString()); // missing: created, as the content
        assertTrue(Files.isRegularFile(tmp.resolve("fresh/big.bin")));
        Files.setPosixFilePermissions(src.resolve("a/b"), PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aFifoIsRefusedNamingIt() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        Process mkfifo = new ProcessBuilder("mkfifo", src.resolve("pipe").toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        CliException e = assertThrows(CliException.class, () -> copy(new HostFiles(), src.toString(),
            tmp.resolve("dest").toString()));
        assertEquals("cp: " + src.resolve("pipe") + ": is a device, FIFO or socket; msb cp copies files, "
            + "directories and symlinks only", e.getMessage());
    }

    @Test
    void aMissingSourceIsNamed() {
        CliException e = assertThrows(CliException.class, () -> copy(new HostFiles(),
            tmp.resolve("nope").toString(), tmp.toString()));
        assertEquals("cp: " + tmp.resolve("nope") + ": no such file or directory", e.getMessage());
    }

    @Test
    void namesThatAreNotASingleComponentAreRefused() throws Exception {
        for (String bad : List.of("..", ".", "", "x/../../escaped", "../escaped")) {
            Lying source = new Lying();
            source.dir("/d", new Entry(bad, Kind.FILE, 0644, null));
            Path dest = Files.createDirectories(tmp.resolve("dest-" + bad.hashCode()));
            CliException e = assertThrows(CliException.class, () -> copy(source, "box:/d", dest + "/out"));
            assertTrue(e.getMessage().contains("which is not a file name"), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("escaped")));
        }
    }

    /** A link listed first, then a directory of the same name: the directory replaces the link, not goes through it. */
    @Test
    void aLinkFromTheSourceIsNeverWrittenThrough() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Lying source = new Lying();
        source.dir("/d", new Entry("x", Kind.SYMLINK, 0777, null), new Entry("x", Kind.DIRECTORY, 0755, null),
            new Entry("f", Kind.SYMLINK, 0777, null), new Entry("f", Kind.FILE, 0644, null));
        source.links.put("/d/x", outside.toString());
        source.links.put("/d/f", outside.resolve("planted").toString());
        source.dir("/d/x", new Entry("planted", Kind.FILE, 0644, null));
        Path dest = Files.createDirectory(tmp.resolve("dest"));
        copy(source, "box:/d", dest + "/out");
        assertEquals(List.of(), list(outside));
        assertTrue(Files.isDirectory(dest.resolve("out/x"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("data", Files.readString(dest.resolve("out/x/planted")));
        assertTrue(Files.isRegularFile(dest.resolve("out/f"), LinkOption.NOFOLLOW_LINKS));
    }

    /** A symlink already in the destination tree pointing out is replaced, never followed. */
    @Test
    void aLinkInTheDestinationTreeIsNotFollowed() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("f"), "mine");
        Path dest = Files.createDirectories(tmp.resolve("dest/out"));
        Files.createSymbolicLink(dest.resolve("sub"), outside);
        Files.createSymbolicLink(dest.resolve("f"), outside.resolve("f"));
        Lying source = new Lying();
        source.dir("/d", new Entry("sub", Kind.DIRECTORY, 0755, null), new Entry("f", Kind.FILE, 0644, null));
        source.dir("/d/sub", new Entry("f", Kind.FILE, 0644, null));
        copy(source, "box:/d/.", dest.toString());
        assertEquals(List.of("f"), list(outside));
        assertEquals("mine", Files.readString(outside.resolve("f")));
        assertEquals("data", Files.readString(dest.resolve("sub/f")));
        assertFalse(Files.isSymbolicLink(dest.resolve("f")));
    }

    /** The agent's listing paths must be entries of the directory asked for. */
    @Test
    void aGuestListingOutsideTheDirectoryIsRefused() {
        SandboxFs lying = listingOnly(List.of(new FileStat("/etc/passwd", FileType.FILE, 1, 0644, 0, 0, null)));
        CliException e = assertThrows(CliException.class, () -> new GuestFiles("box", lying).list("/d"));
        assertEquals("cp: the sandbox listed /etc/passwd as an entry of box:/d; refusing it", e.getMessage());
        SandboxFs honest = listingOnly(List.of(new FileStat("/d/a", FileType.SYMLINK, 1, 0777, 0, 0, null)));
        assertEquals(List.of(new Entry("a", Kind.SYMLINK, 0777, null)), new GuestFiles("box", honest).list("/d"));
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A source whose listings say whatever the test wants; every file holds "data". */
    private static final class Lying implements CpFiles {
        final Map<String, List<Entry>> dirs = new HashMap<>();
        final Map<String, String> links = new HashMap<>();

        void dir(String path, Entry... entries) {
            dirs.put(path, List.of(entries));
        }

        @Override
        public Entry stat(String path, boolean follow) {
            return dirs.containsKey(path) ? new Entry(path, Kind.DIRECTORY, 0755, null) : null;
        }

        @Override
        public List<Entry> list(String directory) {
            return dirs.getOrDefault(directory, List.of());
        }

        @Override
        public InputStream read(String path) {
            return new ByteArrayInputStream("data".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String readlink(String path) {
            return links.get(path);
        }

        @Override
        public void writeFile(String path, InputStream content, int mode) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void makeDirectory(String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void symlink(String target, String path) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setModeAndTime(String path, int mode, Instant modified) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String describe(String path) {
            return "box:" + path;
        }
    }

    /** An agent that only lists, answering {@code listing} for any directory. */
    private static SandboxFs listingOnly(List<FileStat> listing) {
        return (SandboxFs) Proxy.newProxyInstance(SandboxFs.class.getClassLoader(), new Class<?>[] {SandboxFs.class},
            (proxy, method, args) -> {
                if (!method.getName().equals("list")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                return listing;
            });
    }
}
