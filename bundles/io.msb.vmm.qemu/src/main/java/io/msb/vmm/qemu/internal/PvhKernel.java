package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The uncompressed vmlinux inside an x86 bzImage, for QEMU to boot through the kernel's PVH entry point (decision
 * 1933): under TCG the bzImage's boot stub spends ~0.1 s (msb's kernel) to ~0.3 s (Debian's) decompressing itself,
 * and the compressed copy stays in guest RAM and in QEMU's fw_cfg. The vmlinux is extracted once per image content
 * into a cache with the decompressor the payload was made with ({@code gzip}, {@code lz4}, {@code xz},
 * {@code zstd}: the formats of the kernel's own {@code scripts/extract-vmlinux}). Anything else — no PVH note, an
 * unknown format, a missing tool — boots the bzImage as before.
 */
final class PvhKernel {
    private static final System.Logger LOG = System.getLogger(PvhKernel.class.getName());
    /** No guest kernel's vmlinux comes near this; a payload claiming more is not trusted. */
    static final long MAX_VMLINUX = 256L << 20;
    private static final long TOOL_TIMEOUT_SECONDS = 120;
    private static final int SETUP_SECTS = 0x1F1;
    private static final int HEADER_MAGIC = 0x202;
    private static final int PROTOCOL_VERSION = 0x206;
    private static final int PAYLOAD_OFFSET = 0x248;
    private static final int PAYLOAD_LENGTH = 0x24C;
    /** Xen's ELF note type for the 32-bit PVH entry point, the note QEMU looks for (XEN_ELFNOTE_PHYS32_ENTRY). */
    static final int PHYS32_ENTRY = 18;
    private static final int PT_NOTE = 4;
    private static final int MAX_PROGRAM_HEADERS = 128;
    private static final int MAX_NOTES_BYTES = 1 << 20;

    /** A payload's leading bytes and the tool that decompresses it. */
    private record Format(byte[] magic, String tool, boolean sizeAppended) {
    }

    // The kernel's Makefile.lib appends the uncompressed size (4 bytes, little-endian) after every format but gzip,
    // whose own trailer ends with it; the decompressors must not see those 4 bytes.
    private static final List<Format> FORMATS = List.of(
            new Format(new byte[] {0x1f, (byte) 0x8b}, "gzip", false),
            new Format(new byte[] {0x02, 0x21, 0x4c, 0x18}, "lz4", true),
            new Format(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}, "xz", true),
            new Format(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, "zstd", true));

    private PvhKernel() {
    }

    /**
     * What {@code -kernel} should name for {@code image}: its vmlinux in {@code cacheDir} when it has a PVH entry
     * point, else {@code image} itself (an ELF image is taken as it is).
     */
    static Path bootFile(Path image, Path cacheDir) {
        try {
            if (isElf(image)) {
                return image;
            }
            Payload payload = payload(image);
            if (payload == null) {
                return image;
            }
            String key = sha256(image).substring(0, 24);
            Path vmlinux = cacheDir.resolve(key + ".vmlinux");
            Path noPvh = cacheDir.resolve(key + ".no-pvh");
            if (Files.isRegularFile(vmlinux)) {
                return vmlinux;
            }
            if (Files.exists(noPvh)) {
                return image;
            }
            Files.createDirectories(cacheDir);
            Path tmp = Files.createTempFile(cacheDir, ".vmlinux", ".tmp");
            try {
                String why = extract(image, payload, tmp);
                if (why != null) {
                    LOG.log(Level.INFO, "booting {0} as a bzImage: {1}", image, why);
                    Files.write(noPvh, (why + "\n").getBytes(StandardCharsets.UTF_8));
                    return image;
                }
                // Readable like the image it came from: QEMU may open it as its own user (runAs).
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, vmlinux, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return vmlinux;
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException | ToolFailed e) {
            // Not cached: a missing tool or a full disk may be mended, and the bzImage boots meanwhile.
            LOG.log(Level.WARNING, "cannot extract the vmlinux of {0} ({1}); booting it as a bzImage", image,
                    e.getMessage());
            return image;
        }
    }

    /** Where a bzImage keeps its compressed kernel, and how it was compressed. */
    record Payload(long offset, long length, Format format) {
    }

    /** The payload of a bzImage of boot protocol 2.08+ in a format we can decompress; null for anything else. */
    static Payload payload(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(0x250).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(head, 0) < head.capacity() || head.getInt(HEADER_MAGIC) != 0x53726448 // "HdrS"
                    || Short.toUnsignedInt(head.getShort(PROTOCOL_VERSION)) < 0x208) {
                return null;
            }
            int sects = Byte.toUnsignedInt(head.get(SETUP_SECTS));
            long offset = ((sects == 0 ? 4 : sects) + 1) * 512L + Integer.toUnsignedLong(head.getInt(PAYLOAD_OFFSET));
            long length = Integer.toUnsignedLong(head.getInt(PAYLOAD_LENGTH));
            if (length < 16 || offset + length > ch.size()) {
                return null;
            }
            ByteBuffer magic = ByteBuffer.allocate(6);
            ch.read(magic, offset);
            for (Format f : FORMATS) {
                if (Arrays.equals(magic.array(), 0, f.magic().length, f.magic(), 0, f.magic().length)) {
                    return new Payload(offset, length, f);
                }
            }
            return null;
        }
    }

    /** Decompresses {@code payload} into {@code out}; null when it is a PVH vmlinux, else why it is not used. */
    private static String extract(Path image, Payload payload, Path out) throws IOException, ToolFailed {
        long expected;
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer size = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(size, payload.offset() + payload.length() - 4);
            expected = Integer.toUnsignedLong(size.getInt(0));
        }
        if (expected > MAX_VMLINUX) {
            return "its payload claims " + expected + " bytes uncompressed, more than " + MAX_VMLINUX;
        }
        long input = payload.length() - (payload.format().sizeAppended() ? 4 : 0);
        String tool = payload.format().tool();
        Path in = Files.createTempFile(out.getParent(), ".payload", ".tmp");
        Path err = Files.createTempFile(out.getParent(), ".vmlinux", ".err");
        try {
            try (FileChannel src = FileChannel.open(image, StandardOpenOption.READ);
                    FileChannel dst = FileChannel.open(in, StandardOpenOption.WRITE)) {
                for (long done = 0; done < input;) {
                    done += src.transferTo(payload.offset() + done, input - done, dst);
                }
            }
            Process p;
            try {
                p = new ProcessBuilder(tool, "-dc").redirectInput(in.toFile()).redirectError(err.toFile()).start();
            } catch (IOException e) {
                throw new ToolFailed(tool + " could not be started: " + e.getMessage());
            }
            CompletableFuture<Void> watchdog = CompletableFuture.runAsync(p::destroyForcibly,
                    CompletableFuture.delayedExecutor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            long got;
            try (InputStream stdout = p.getInputStream(); OutputStream o = Files.newOutputStream(out)) {
                // Read by us, not redirected to the file: a payload that inflates beyond its trailer stops there.
                got = copy(stdout, o, expected + 1);
                if (got > expected) {
                    p.destroyForcibly(); // the rest is not wanted
                }
            } finally {
                p.waitFor(); // bounded by the watchdog
                watchdog.cancel(false);
            }
            if (got > expected) {
                return "its payload decompresses to more than the " + expected + " bytes its trailer says";
            }
            if (watchdog.isDone() && !watchdog.isCancelled()) {
                throw new ToolFailed(tool + " took more than " + TOOL_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new ToolFailed(tool + " -dc exited with " + p.exitValue() + ": "
                        + String.join(" | ", LogTail.lastLines(err, 3)));
            }
            // gzip's trailer keeps the size modulo 2^32, which is the size itself below MAX_VMLINUX.
            if (got != expected) {
                return "its payload decompressed to " + got + " bytes, its trailer says " + expected;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolFailed("interrupted");
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(err);
        }
        return hasPvhEntry(out) ? null : "its vmlinux has no PVH entry point (CONFIG_PVH)";
    }

    /** Copies at most {@code limit} bytes; returns how many were copied. */
    private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n; total < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) > 0;) {
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    static boolean isElf(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            return ch.read(b, 0) == 4 && b.getInt(0) == 0x7f454c46;
        }
    }

    /** Whether a little-endian ELF64 x86-64 file carries Xen's PHYS32_ENTRY note in one of its PT_NOTE segments. */
    static boolean hasPvhEntry(Path elf) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer eh = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(eh, 0) < 64 || eh.getInt(0) != 0x464c457f // "\x7fELF" read little-endian
                    || eh.get(4) != 2 || eh.get(5) != 1 || eh.getShort(18) != 62) {
                return false;
            }
            long phoff = eh.getLong(32);
            int phentsize = Short.toUnsignedInt(eh.getShort(54));
            int phnum = Short.toUnsignedInt(eh.getShort(56));
            if (phentsize < 56 || phnum > MAX_PROGRAM_HEADERS || phoff < 0 || phoff > ch.size()) {
                return false;
            }
            for (int i = 0; i < phnum; i++) {
                ByteBuffer ph = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
                if (ch.read(ph, phoff + (long) i * phentsize) < 56 || ph.getInt(0) != PT_NOTE) {
                    continue;
                }
                long off = ph.getLong(8);
                long size = ph.getLong(32);
                if (off < 0 || size <= 0 || size > MAX_NOTES_BYTES || off + size > ch.size()) {
                    continue;
                }
                ByteBuffer notes = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(notes, off);
                if (hasXenEntryNote(notes.flip())) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Walks ELF notes (namesz, descsz, type, name and desc padded to 4 bytes) looking for "Xen" PHYS32_ENTRY. */
    private static boolean hasXenEntryNote(ByteBuffer notes) {
        while (notes.remaining() >= 12) {
            long namesz = Integer.toUnsignedLong(notes.getInt());
            long descsz = Integer.toUnsignedLong(notes.getInt());
            int type = notes.getInt();
            long padded = ((namesz + 3) & ~3L) + ((descsz + 3) & ~3L);
            if (padded > notes.remaining()) {
                return false;
            }
            int at = notes.position();
            if (type == PHYS32_ENTRY && namesz == 4 && notes.get(at) == 'X' && notes.get(at + 1) == 'e'
                    && notes.get(at + 2) == 'n' && notes.get(at + 3) == 0 && descsz >= 4) {
                return true;
            }
            notes.position(at + (int) padded);
        }
        return false;
    }

    private static String sha256(Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A decompressor that could not run or failed: worth retrying later, so not remembered. */
    private static final class ToolFailed extends Exception {
        private static final long serialVersionUID = 1L;

        ToolFailed(String message) {
            super(message);
        }
    }
}
