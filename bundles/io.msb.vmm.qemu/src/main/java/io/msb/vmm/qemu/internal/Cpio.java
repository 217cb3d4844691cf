package io.msb.vmm.qemu.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format the kernel unpacks as initramfs. Timestamps and owners are
 * zero so that equal inputs give equal bytes (the archive is cached by its hash).
 */
final class Cpio {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFCHR = 0020000;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int nextInode = 1;
    private boolean finished;

    Cpio directory(String path, int perm) {
        return entry(path, S_IFDIR | perm, 2, 0, 0, new byte[0]);
    }

    Cpio file(String path, int perm, byte[] data) {
        return entry(path, S_IFREG | perm, 1, 0, 0, data);
    }

    Cpio charDevice(String path, int perm, int major, int minor) {
        return entry(path, S_IFCHR | perm, 1, major, minor, new byte[0]);
    }

    /** Appends the trailer and returns the archive; the writer cannot be used afterwards. */
    byte[] finish() {
        entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
        finished = true;
        return out.toByteArray();
    }

    private Cpio entry(String path, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (path.isEmpty() || path.startsWith("/") || path.contains("\0")) {
            throw new IllegalArgumentException("cpio path must be relative and non-empty: " + path);
        }
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        int inode = path.equals("TRAILER!!!") ? 0 : nextInode++;
        StringBuilder h = new StringBuilder(110).append("070701");
        for (long field : new long[] {inode, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor,
                name.length + 1L, 0}) {
            h.append(String.format("%08x", field));
        }
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(name);
        out.write(0);
        pad();
        out.writeBytes(data);
        pad();
        return this;
    }

    private void pad() {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
