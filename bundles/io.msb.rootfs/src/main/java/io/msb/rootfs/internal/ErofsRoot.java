package io.msb.rootfs.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reads the root directory's mode, owner and mtime back from an EROFS image, so that a sandbox's upper
 * layer can give the guest's {@code /} the image's attributes (overlayfs shows the upper's root).
 */
final class ErofsRoot {
    private static final int COMPACT = 32;

    private ErofsRoot() {
    }

    /** The root's metadata (a directory {@link Inode} without children), or null if {@code image} is not EROFS. */
    static Inode read(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image)) {
            ByteBuffer sb = readAt(ch, ErofsWriter.SB_OFFSET, 128);
            if (sb == null || sb.getInt(0) != ErofsWriter.MAGIC) {
                return null;
            }
            int blkBits = sb.get(12) & 0xff;
            int rootNid = sb.getShort(14) & 0xffff;
            long buildTime = sb.getLong(24);
            int buildNsec = sb.getInt(32);
            long metaBlock = sb.getInt(40) & 0xffffffffL;
            if (blkBits < 9 || blkBits > 16) {
                throw new IOException(image + ": EROFS block size bits must be 9..16, got " + blkBits);
            }
            long at = (metaBlock << blkBits) + ((long) rootNid << 5);
            ByteBuffer in = readAt(ch, at, COMPACT);
            boolean extended = in != null && (in.getShort(0) & 1) == 1;
            if (extended) {
                in = readAt(ch, at, ErofsWriter.INODE_SIZE);
            }
            if (in == null) {
                throw new IOException(image + ": EROFS root inode (nid " + rootNid + ") is past the end");
            }
            Inode root = new Inode();
            root.mode = in.getShort(4) & 0xffff;
            if (extended) {
                root.uid = in.getInt(24) & 0xffffffffL;
                root.gid = in.getInt(28) & 0xffffffffL;
                root.mtime = in.getLong(32);
                root.mtimeNsec = in.getInt(40);
            } else { // compact inodes carry 16-bit ids and take the image's build time
                root.uid = in.getShort(24) & 0xffff;
                root.gid = in.getShort(26) & 0xffff;
                root.mtime = buildTime;
                root.mtimeNsec = buildNsec;
            }
            if (!root.isDir()) {
                throw new IOException(image + ": EROFS root inode is not a directory (mode 0"
                        + Integer.toOctalString(root.mode) + ")");
            }
            return root;
        }
    }

    /** {@code len} bytes at {@code pos}, or null if the file ends before. */
    private static ByteBuffer readAt(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                return null;
            }
        }
        return b;
    }
}
