package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archives are untrusted: the reader refuses what the library alone would let through. */
class TarTest {
    private static byte[] twoFiles() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Tar.Writer w = new Tar.Writer(out)) {
            w.file("a.txt", "alpha".getBytes(StandardCharsets.UTF_8));
            w.directory("dir/", 0755);
            w.symlink("dir/link", "/a.txt");
            w.file("dir/b.bin", new byte[1025]);
        }
        return out.toByteArray();
    }

    private static List<String> files(byte[] archive) throws IOException {
        try (Tar.Reader r = new Tar.Reader(new ByteArrayInputStream(archive))) {
            List<String> names = new java.util.ArrayList<>();
            for (TarArchiveEntry e; (e = r.nextFile()) != null; ) {
                names.add(e.getName() + "=" + new String(r.readAllBytes(), StandardCharsets.UTF_8).length());
            }
            return names;
        }
    }

    @Test
    void roundTripYieldsRegularFilesOnlyAndIsDeterministic() throws Exception {
        assertEquals(List.of("a.txt=5", "dir/b.bin=1025"), files(twoFiles()));
        assertTrue(Arrays.equals(twoFiles(), twoFiles()), "equal content gives equal bytes (root-owned, mtime 0)");
        try (Tar.Reader r = new Tar.Reader(new ByteArrayInputStream(twoFiles()))) {
            TarArchiveEntry a = r.nextFile();
            assertEquals(List.of(0L, 0L, "", 0L), List.of(a.getLongUserId(), a.getLongGroupId(), a.getUserName(),
                    a.getLastModifiedTime().toMillis()));
        }
    }

    @Test
    void aCorruptHeaderIsRefused() throws Exception {
        byte[] corrupt = twoFiles();
        corrupt[0] = 'x'; // the library alone reads this as a file named x.txt
        IOException e = assertThrows(IOException.class, () -> files(corrupt));
        assertTrue(e.getMessage().contains("not a tar file (header checksum mismatch)"), e.getMessage());
    }

    @Test
    void truncationInsideAHeaderOrABodyIsRefused() throws Exception {
        byte[] all = twoFiles();
        // the library alone takes a cut-off header for the end of the archive
        IOException header = assertThrows(IOException.class, () -> files(Arrays.copyOf(all, 512 + 512 + 100)));
        assertTrue(header.getMessage().contains("truncated inside a tar header"), header.getMessage());
        assertThrows(IOException.class, () -> files(Arrays.copyOf(all, 512 + 3)));
        assertEquals(List.of(), files(new byte[0]), "an empty stream is an empty archive");
    }

    @Test
    void extendedHeadersAreBounded() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream w = new TarArchiveOutputStream(out)) {
            w.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            TarArchiveEntry e = new TarArchiveEntry("n".repeat(Tar.MAX_EXTENDED_HEADER + 1));
            w.putArchiveEntry(e);
            w.closeArchiveEntry();
        }
        IOException e = assertThrows(IOException.class, () -> files(out.toByteArray()));
        assertTrue(e.getMessage().contains("extended header is larger than 65536"), e.getMessage());
    }

    @Test
    void anEntryDeclaredLargerThanTheLimitIsRefusedBeforeItsBodyIsRead(@TempDir Path home, @TempDir Path dir)
            throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarArchiveOutputStream w = new TarArchiveOutputStream(out);
        w.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
        TarArchiveEntry big = new TarArchiveEntry("blobs/sha256/" + "0".repeat(64));
        big.setSize((64L << 30) + 1);
        w.putArchiveEntry(big); // the header only: no 64 GiB body follows
        w.flush();
        Path archive = Files.write(dir.resolve("big.tar"), out.toByteArray());
        try (ImageEnv env = new ImageEnv(home)) {
            MsbException e = assertThrows(MsbException.class, () -> env.images.load(archive));
            assertTrue(e.getMessage().contains("is larger than " + (64L << 30) + " bytes"), e.getMessage());
        }
    }
}
