package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapArchiveTest {
    @TempDir
    Path tmp;

    @Test
    void appendsAnOwnerOnlyArchiveWithTheBootstrapAfterTheInitramfs() throws Exception {
        byte[] initramfs = new Cpio().file("init", 0755, new byte[] {1, 2, 3}).finish();
        byte[] odd = Arrays.copyOf(initramfs, initramfs.length + 3); // a compressed one may end anywhere
        byte[] bootstrap = "the bootstrap".getBytes(StandardCharsets.US_ASCII);
        for (byte[] first : new byte[][] {initramfs, odd}) {
            Path in = Files.write(tmp.resolve("shared.cpio"), first);
            Path out = tmp.resolve("initramfs.cpio");
            Files.writeString(out, "a stale one with other permissions");
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-rw-rw-"));

            BootstrapArchive.write(in, bootstrap, out);

            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
            byte[] all = Files.readAllBytes(out);
            assertArrayEquals(first, Arrays.copyOf(all, first.length));
            int second = (first.length + 3) / 4 * 4;
            assertTrue(Arrays.equals(new byte[second - first.length], Arrays.copyOfRange(all, first.length, second)),
                    "zero padding");
            String archive = new String(all, second, all.length - second, StandardCharsets.ISO_8859_1);
            assertTrue(archive.startsWith("070701"), "newc header at a 4-byte boundary");
            assertTrue(archive.contains("msb/bootstrap.cbor\0"), archive);
            assertTrue(archive.contains("the bootstrap"), archive);
            assertTrue(archive.contains("TRAILER!!!"), archive);
            // mode field (second after the magic and inode): regular file 0600
            int header = archive.indexOf("070701", archive.indexOf("070701") + 1);
            assertEquals(String.format("%08x", 0100600), archive.substring(header + 14, header + 22));
        }
    }
}
