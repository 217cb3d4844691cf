package io.msb.ssh.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The java.nio mapping onto SandboxFs calls, over a host directory that stands for the guest's root. */
class SandboxFileSystemTest {
    @TempDir
    Path root;
    private DirectoryFs guest;
    private SandboxFileSystem fs;

    @BeforeEach
    void setUp() {
        guest = new DirectoryFs(root);
        fs = new SandboxFileSystemProvider().newFileSystem(guest);
    }

    @Test
    void pathsAreGuestPaths() {
        assertEquals("/etc/hosts", fs.getPath("/etc", "hosts").guestPath());
        assertEquals("/etc/hosts", fs.getPath("/etc/./x/../hosts").guestPath());
        assertEquals("/tmp/a", fs.getPath("tmp/a").guestPath(), "relative paths start at the root");
        assertEquals("file.txt", SandboxFileSystemProvider.lastName("/tmp/file.txt"));
        assertEquals("tmp", SandboxFileSystemProvider.lastName("/tmp/"));
    }

    @Test
    void aFileWrittenInOrderIsReadBackWhole() throws IOException {
        byte[] content = new byte[1 << 20];
        new Random(5).nextBytes(content);
        Path file = fs.getPath("/data.bin");
        try (SeekableByteChannel out = Files.newByteChannel(file, Set.of(StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")))) {
            for (int off = 0; off < content.length; off += 32_768) {
                out.position(off);
                out.write(ByteBuffer.wrap(content, off, Math.min(32_768, content.length - off)));
            }
        }
        assertArrayEquals(content, Files.readAllBytes(root.resolve("data.bin")));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data.bin"))));
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void anEmptyFileIsCreatedToo() throws IOException {
        Files.newByteChannel(fs.getPath("/empty"), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE)).close();
        assertEquals(0, Files.size(root.resolve("empty")));
    }

    @Test
    void aWriteOutOfOrderIsRefusedNamingTheOffsets() throws IOException {
        SeekableByteChannel out = Files.newByteChannel(fs.getPath("/f"), Set.of(StandardOpenOption.WRITE,
                StandardOpenOption.CREATE));
        out.write(ByteBuffer.wrap(new byte[10]));
        out.position(100);
        IOException e = assertThrows(IOException.class, () -> out.write(ByteBuffer.wrap(new byte[1])));
        assertEquals("write of /f at offset 100 after 10 bytes: writes into a sandbox must be sequential (the guest"
                + " file is written as one stream)", e.getMessage());
        out.close();
    }

    @Test
    void writesThatWouldKeepPartOfAnExistingFileAreRefused() throws IOException {
        Files.writeString(root.resolve("f"), "old");
        Path f = fs.getPath("/f");
        assertThrows(UnsupportedOperationException.class, () -> Files.newByteChannel(f, Set.of(StandardOpenOption.WRITE)));
        assertThrows(UnsupportedOperationException.class,
                () -> Files.newByteChannel(f, Set.of(StandardOpenOption.WRITE, StandardOpenOption.APPEND)));
        assertThrows(FileAlreadyExistsException.class,
                () -> Files.newByteChannel(f, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)));
        assertThrows(NoSuchFileException.class, () -> Files.newByteChannel(fs.getPath("/new"),
                Set.of(StandardOpenOption.WRITE)));
        assertEquals("old", Files.readString(root.resolve("f")));
    }

    @Test
    void readsContinueTheStreamSkipForwardAndReopenBehind() throws IOException {
        byte[] content = new byte[10_000];
        new Random(7).nextBytes(content);
        Files.write(root.resolve("r"), content);
        guest.readPiece = 7;
        try (SeekableByteChannel in = Files.newByteChannel(fs.getPath("/r"))) {
            assertEquals(10_000, in.size());
            ByteBuffer buf = ByteBuffer.allocate(100);
            assertEquals(100, in.read(buf), "a whole request although the stream comes in pieces of 7");
            assertEquals(100, in.position(100).read(buf.clear()));
            assertEquals(1, guest.readsOpened.get(), "the next chunk continues the stream");
            in.position(5_000).read(buf.clear());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 5_000, 5_100), buf.array());
            assertEquals(1, guest.readsOpened.get(), "a skip forward too");
            in.position(50).read(buf.clear());
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 50, 150), buf.array());
            assertEquals(2, guest.readsOpened.get(), "a read behind opens again");
            assertEquals(50, in.position(9_950).read(buf.clear()), "short at the end only");
            assertEquals(-1, in.position(20_000).read(buf.clear()));
        }
    }

    @Test
    void directoriesListAndAttributesMapToTheGuestsStat() throws IOException {
        Files.createDirectories(root.resolve("d/sub"));
        Files.writeString(root.resolve("d/a.txt"), "hello");
        Files.setLastModifiedTime(root.resolve("d/a.txt"), FileTime.from(Instant.parse("2024-01-02T03:04:05Z")));
        Files.createSymbolicLink(root.resolve("d/dangling"), Path.of("/nowhere"));
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> children = Files.newDirectoryStream(fs.getPath("/d"))) {
            children.forEach(p -> names.add(p.toString()));
        }
        names.sort(null);
        assertEquals(List.of("/d/a.txt", "/d/dangling", "/d/sub"), names);
        Map<String, Object> unix = Files.readAttributes(fs.getPath("/d/a.txt"), "unix:*");
        assertEquals(5L, unix.get("size"));
        assertEquals(0100644, unix.get("mode"));
        assertEquals(0, unix.get("uid"));
        assertEquals(FileTime.from(Instant.parse("2024-01-02T03:04:05Z")), unix.get("lastModifiedTime"));
        assertEquals(Map.of("size", 5L), Files.readAttributes(fs.getPath("/d/a.txt"), "size"));
        assertTrue(Files.isDirectory(fs.getPath("/d/sub")));
        assertTrue(Files.isSymbolicLink(fs.getPath("/d/dangling")), "a dangling link is found in its directory");
        assertFalse(Files.exists(fs.getPath("/d/dangling")), "followed, it leads nowhere");
        assertEquals("/nowhere", Files.readSymbolicLink(fs.getPath("/d/dangling")).toString());
    }

    @Test
    void changesGoThroughSetStat() throws IOException {
        Files.writeString(root.resolve("f"), "x");
        Path f = fs.getPath("/f");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2020-05-06T07:08:09Z")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("f"))));
        assertEquals(Instant.parse("2020-05-06T07:08:09Z"), Files.getLastModifiedTime(root.resolve("f")).toInstant());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Files.setAttribute(f, "posix:owner", (java.nio.file.attribute.UserPrincipal) () -> "alice"));
        assertEquals("owner: 'alice' is not a number (sandbox owners are set by uid and gid)", e.getMessage());
    }

    @Test
    void directoriesLinksMovesAndDeletes() throws IOException {
        Path d = fs.getPath("/d");
        Files.createDirectory(d);
        assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(d));
        assertThrows(NoSuchFileException.class, () -> Files.createDirectory(fs.getPath("/missing/child")));
        Files.writeString(root.resolve("d/f"), "x");
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d));
        Files.move(fs.getPath("/d/f"), fs.getPath("/d/g"));
        Files.writeString(root.resolve("d/h"), "y");
        assertThrows(FileAlreadyExistsException.class, () -> Files.move(fs.getPath("/d/g"), fs.getPath("/d/h")));
        // relative: the host directory standing for the guest resolves absolute targets against the host's root
        Files.createSymbolicLink(fs.getPath("/d/link"), fs.getPath("g"));
        assertEquals("g", Files.readSymbolicLink(fs.getPath("/d/link")).toString());
        assertEquals("/d/g", fs.getPath("/d/link").toRealPath().toString());
        Files.delete(fs.getPath("/d/link"));
        Files.delete(fs.getPath("/d/g"));
        Files.delete(fs.getPath("/d/h"));
        Files.delete(d);
        assertFalse(Files.exists(root.resolve("d")));
        assertThrows(NoSuchFileException.class, () -> Files.delete(d));
    }

    @Test
    void agentErrorsBecomeTheNioExceptionsSftpReports() {
        assertTrue(GuestErrors.translate("/x", new NotFoundException("file", "x")) instanceof NoSuchFileException);
        assertTrue(GuestErrors.translate("/x", new MsbException("open /x: Permission denied"))
                instanceof AccessDeniedException);
        assertTrue(GuestErrors.translate("/x", new MsbException("mkdir /x: File exists"))
                instanceof FileAlreadyExistsException);
        assertTrue(GuestErrors.translate("/x", new MsbException("rmdir /x: Directory not empty"))
                instanceof DirectoryNotEmptyException);
        assertTrue(GuestErrors.translate("/x", new MsbException("list /x: Not a directory"))
                instanceof NotDirectoryException);
        IOException other = GuestErrors.translate("/x", new MsbException("write: No space left on device"));
        assertEquals("write: No space left on device", other.getMessage());
    }

    @Test
    void permissionBitsRoundTrip() {
        for (int mode : new int[] {0, 0644, 0755, 0777, 0400, 0001}) {
            assertEquals(mode, GuestAttributes.mode(GuestAttributes.permissions(mode)));
        }
        assertEquals("rw-r-----", PosixFilePermissions.toString(GuestAttributes.permissions(0640)));
    }

    @Test
    void terminalSizesFromClientsAreBounded() {
        assertEquals(40, SandboxCommand.cells("40", 24));
        assertEquals(24, SandboxCommand.cells("0", 24));
        assertEquals(24, SandboxCommand.cells("many", 24));
        assertEquals(65535, SandboxCommand.cells("99999999", 24));
        assertEquals("a?b", RunningSandbox.printable("a\u001bb"));
    }

    @Test
    void linkOptionsReachTheStat() throws IOException {
        Files.writeString(root.resolve("t"), "x");
        Files.createSymbolicLink(root.resolve("l"), Path.of("t"));
        // NOFOLLOW_LINKS still follows a link whose target exists (decision 1052): the guest API has no lstat
        assertTrue(Files.isRegularFile(fs.getPath("/l"), LinkOption.NOFOLLOW_LINKS));
    }
}
