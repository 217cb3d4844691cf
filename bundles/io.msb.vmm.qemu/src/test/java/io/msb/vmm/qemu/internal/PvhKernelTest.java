package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Extraction of a bzImage's vmlinux for PVH boot, on synthetic images made the way the kernel's Makefiles make them
 * (gzip with its own trailer; lz4 legacy frames with the size appended) and on Debian's real cloud kernel.
 */
class PvhKernelTest {
    @TempDir
    Path dir;

    @Test
    void aGzipPayloadWithAPvhNoteIsBootedAsItsVmlinuxExtractedOnce() throws Exception {
        byte[] elf = elf(true);
        Path image = bzImage(gzip(elf));
        Path cache = dir.resolve("cache");
        Path boot = PvhKernel.bootFile(image, cache);
        assertTrue(boot.startsWith(cache) && boot.toString().endsWith(".vmlinux"), boot.toString());
        assertArrayEquals(elf, Files.readAllBytes(boot));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(boot)),
                "QEMU may open it as another user");
        FileTime written = Files.getLastModifiedTime(boot);
        Files.setLastModifiedTime(boot, FileTime.fromMillis(written.toMillis() - 60_000));
        assertEquals(boot, PvhKernel.bootFile(image, cache));
        assertEquals(written.toMillis() - 60_000, Files.getLastModifiedTime(boot).toMillis(), "extracted again");
        assertEquals(1, leftovers(cache), "temporary files left in the cache");
    }

    @Test
    void anLz4PayloadWithItsSizeAppendedIsDecompressedWithoutTheSize() throws Exception {
        assumeTrue(TestGuest.onPath("lz4"), "lz4 is not installed (apt-get install lz4)");
        byte[] elf = elf(true);
        Path boot = PvhKernel.bootFile(bzImage(concat(lz4Legacy(elf), le32(elf.length))), dir.resolve("cache"));
        assertArrayEquals(elf, Files.readAllBytes(boot));
    }

    @Test
    void aPayloadInflatingBeyondItsTrailerIsCutThereAndNotUsed() throws Exception {
        assumeTrue(TestGuest.onPath("lz4"), "lz4 is not installed (apt-get install lz4)");
        byte[] big = new byte[8 << 20]; // zeros: ~32 KiB of lz4
        Path image = bzImage(concat(lz4Legacy(big), le32(4096)));
        Path cache = dir.resolve("cache");
        assertEquals(image, PvhKernel.bootFile(image, cache));
        try (var files = Files.list(cache)) {
            assertEquals(List.of(".no-pvh"), files.map(f -> f.toString().replaceAll(".*(\\.[^.]+)$", "$1")).toList());
        }
    }

    @Test
    void aKernelWithoutPvhBootsAsABzImageAndIsNotDecompressedAgain() throws Exception {
        Path image = bzImage(gzip(elf(false)));
        Path cache = dir.resolve("cache");
        assertEquals(image, PvhKernel.bootFile(image, cache));
        assertEquals(image, PvhKernel.bootFile(image, cache));
        try (var files = Files.list(cache)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".no-pvh")).count());
        }
        assertEquals(1, leftovers(cache));
    }

    @Test
    void aCorruptPayloadBootsAsABzImageAndLeavesNothingInTheCache() throws Exception {
        byte[] gz = gzip(elf(true));
        // The deflate stream cut in half, gzip's trailer (CRC, size) kept: gzip stops early and fails.
        Path image = bzImage(concat(Arrays.copyOf(gz, gz.length / 2), Arrays.copyOfRange(gz, gz.length - 8, gz.length)));
        Path cache = dir.resolve("cache");
        assertEquals(image, PvhKernel.bootFile(image, cache));
        assertEquals(0, leftovers(cache), () -> "a failed extraction must not be remembered or left half-written: "
                + names(cache));
    }

    @Test
    void aTrailerClaimingAHugeKernelIsNotDecompressed() throws Exception {
        Path image = bzImage(concat(new byte[] {0x02, 0x21, 0x4c, 0x18, 0, 0, 0, 0, 0, 0, 0, 0}, le32(-1)));
        assertEquals(image, PvhKernel.bootFile(image, dir.resolve("cache")));
    }

    @Test
    void filesThatAreNoBzImageAreBootedAsTheyAre() throws Exception {
        Path text = dir.resolve("not-a-kernel");
        Files.writeString(text, "not a kernel");
        assertEquals(text, PvhKernel.bootFile(text, dir.resolve("cache")));
        Path elf = dir.resolve("vmlinux");
        Files.write(elf, elf(true));
        assertEquals(elf, PvhKernel.bootFile(elf, dir.resolve("cache")));
        assertFalse(Files.exists(dir.resolve("cache")));
    }

    @Test
    void debiansCloudKernelHasAPvhVmlinux() throws Exception {
        GuestKernel k = TestGuest.kernel();
        Path boot = PvhKernel.bootFile(k.image(), dir.resolve("cache"));
        assertTrue(boot.toString().endsWith(".vmlinux"), boot + " for " + k.image());
        assertTrue(PvhKernel.hasPvhEntry(boot));
        assertTrue(Files.size(boot) > Files.size(k.image()), "the vmlinux is larger than its compressed image");
    }

    /** Files in the cache other than results: temporaries, error logs. */
    private static long leftovers(Path cache) throws IOException {
        if (!Files.exists(cache)) {
            return 0;
        }
        try (var files = Files.list(cache)) {
            return files.count();
        }
    }

    private static List<String> names(Path cache) {
        try (var files = Files.list(cache)) {
            return files.map(f -> f.getFileName() + " " + f.toFile().length()).toList();
        } catch (IOException e) {
            return List.of(e.toString());
        }
    }

    /** A bzImage of boot protocol 2.15: setup sectors, header, then the payload right after the setup. */
    private Path bzImage(byte[] payload) throws IOException {
        int setupSects = 4;
        ByteBuffer b = ByteBuffer.allocate((setupSects + 1) * 512 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1F1, (byte) setupSects);
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x20F);
        b.putInt(0x248, 0);
        b.putInt(0x24C, payload.length);
        b.position((setupSects + 1) * 512);
        b.put(payload);
        Path image = Files.createTempFile(dir, "bzImage", "");
        Files.write(image, b.array());
        return image;
    }

    /** An ELF64 x86-64 header, one PT_NOTE program header and its notes: a GNU build id, then Xen's entry point. */
    static byte[] elf(boolean pvh) {
        ByteBuffer notes = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        notes.putInt(4).putInt(8).putInt(3).put("GNU\0".getBytes()).putLong(0x1234_5678L);
        notes.putInt(4).putInt(4).putInt(pvh ? PvhKernel.PHYS32_ENTRY : 17).put("Xen\0".getBytes()).putInt(0x1000000);
        int notesAt = 64 + 56;
        ByteBuffer b = ByteBuffer.allocate(notesAt + notes.position() + 1000).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f);
        b.put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 62);
        b.putLong(32, 64).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 1);
        b.putInt(64, 4).putLong(64 + 8, notesAt).putLong(64 + 32, notes.position());
        b.put(notesAt, notes.array(), 0, notes.position());
        for (int i = notesAt + notes.position(); i < b.capacity(); i++) {
            b.put(i, (byte) (i * 31)); // something to compress
        }
        return b.array();
    }

    /** LZ4's legacy frame format, as the kernel's Makefile.lib makes it (lz4 -l). */
    private byte[] lz4Legacy(byte[] data) throws Exception {
        Path raw = Files.createTempFile(dir, "payload", ".bin");
        Files.write(raw, data);
        Process p = new ProcessBuilder("lz4", "-l", "-c", "-9", raw.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] frames = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        return frames;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
