package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Lays out and writes the metadata of an uncompressed EROFS image once every file's data is in the
 * {@link DataArea}: directory blocks after the file data, then the inode area (extended 64-byte inodes,
 * inline xattrs, tail-packed data), then the superblock with its checksum.
 *
 * <p>Facts used (from the Linux erofs on-disk format): 4 KiB blocks; superblock at byte 1024; an inode's
 * nid is its offset from the metadata start divided by 32; directory blocks hold 12-byte dirents followed
 * by their names, sorted by name bytes, a block's last name ending at the block (or file) end; inline
 * (tail) data must end in the block where its inode starts.
 */
final class ErofsWriter {
    static final int MAGIC = 0xE0F5E1E2;
    static final int SB_OFFSET = 1024;
    static final int INODE_SIZE = 64;
    static final int DIRENT = 12;
    static final int FEATURE_COMPAT_SB_CHKSUM = 1;
    static final int LAYOUT_FLAT_PLAIN = 0;
    static final int LAYOUT_FLAT_INLINE = 2;
    private static final int BLOCK = DataArea.BLOCK;

    private final FileChannel out;
    private final DataArea data;
    private final List<Inode> order = new ArrayList<>();
    private final Map<Inode, Dir> dirs = new IdentityHashMap<>();
    private final Map<Inode, byte[]> xattrBodies = new IdentityHashMap<>();

    private record Dirent(byte[] name, Inode target) {
    }

    /** A directory's sorted entries and its content once nids are known. */
    private static final class Dir {
        Dirent[] entries;
        int[] blockStarts; // index of the first entry of each block
        byte[] content;
    }

    ErofsWriter(FileChannel out, DataArea data) {
        this.out = out;
        this.data = data;
    }

    /** Writes the image; returns its size in bytes. */
    long write(Inode root, byte[] uuid) throws IOException {
        collect(root);
        for (Inode n : order) {
            xattrBodies.put(n, Xattrs.encode(n.xattrs));
            Dir d = dirs.get(n);
            if (d != null) {
                n.size = planDir(d);
            }
        }
        boolean[] inline = placeData();
        long metaBlock = data.end();
        long metaSize = assignNids(inline);
        for (Inode n : order) {
            Dir d = dirs.get(n);
            if (d != null) {
                d.content = dirContent(d, n.size);
                long full = n.size >>> DataArea.BLOCK_BITS;
                if (full > 0 || !inline[index(n)]) {
                    int len = inline[index(n)] ? (int) (full * BLOCK) : d.content.length;
                    data.write(n.startBlock << DataArea.BLOCK_BITS, d.content, 0, len);
                }
                if (inline[index(n)]) {
                    n.tail = Arrays.copyOfRange(d.content, (int) (full * BLOCK), d.content.length);
                }
            }
        }
        long metaBlocks = (metaSize + BLOCK - 1) / BLOCK;
        writeMeta(metaBlock << DataArea.BLOCK_BITS, metaSize, inline);
        long blocks = metaBlock + metaBlocks;
        if (blocks > 0xffffffffL) {
            throw new MsbException("image too large for 32-bit block addresses: " + blocks + " blocks");
        }
        writeSuperblock(root, metaBlock, blocks, uuid);
        long size = blocks * BLOCK;
        if (out.size() < size) { // trailing zeros never written: extend so they are part of the image
            data.writeFully(ByteBuffer.allocate(1), size - 1);
        }
        out.truncate(size);
        return size;
    }

    private final Map<Inode, Integer> indexes = new IdentityHashMap<>();

    private int index(Inode n) {
        return indexes.get(n);
    }

    /**
     * Breadth-first from the root, each inode once however many names it has; counts links and builds
     * every directory's entries, "." and ".." included, sorted by name bytes.
     */
    private void collect(Inode root) {
        ArrayDeque<Inode[]> queue = new ArrayDeque<>(); // {directory, its parent}
        indexes.put(root, 0);
        order.add(root);
        queue.add(new Inode[] {root, root});
        while (!queue.isEmpty()) {
            Inode dir = queue.peek()[0];
            Inode parent = queue.poll()[1];
            List<Dirent> entries = new ArrayList<>(dir.children.size() + 2);
            entries.add(new Dirent(new byte[] {'.'}, dir));
            entries.add(new Dirent(new byte[] {'.', '.'}, parent));
            int subdirs = 0;
            for (var e : dir.children.entrySet()) {
                Inode child = e.getValue();
                entries.add(new Dirent(e.getKey().getBytes(StandardCharsets.UTF_8), child));
                if (!indexes.containsKey(child)) {
                    indexes.put(child, order.size());
                    order.add(child);
                    child.nlink = 0;
                    if (child.isDir()) {
                        queue.add(new Inode[] {child, dir});
                    }
                }
                if (child.isDir()) {
                    subdirs++;
                } else {
                    child.nlink++;
                }
            }
            dir.nlink = 2 + subdirs;
            entries.sort((x, y) -> Arrays.compareUnsigned(x.name(), y.name()));
            Dir d = new Dir();
            d.entries = entries.toArray(new Dirent[0]);
            dirs.put(dir, d);
        }
    }

    /** Packs entries into blocks; returns the directory size. */
    private static long planDir(Dir d) {
        List<Integer> starts = new ArrayList<>();
        int used = 0;
        starts.add(0);
        for (int i = 0; i < d.entries.length; i++) {
            int need = DIRENT + d.entries[i].name().length;
            if (used + need > BLOCK) {
                starts.add(i);
                used = 0;
            }
            used += need;
        }
        d.blockStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        return (long) (starts.size() - 1) * BLOCK + used;
    }

    private static byte[] dirContent(Dir d, long size) {
        byte[] c = new byte[(int) size];
        ByteBuffer b = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < d.blockStarts.length; blk++) {
            int from = d.blockStarts[blk];
            int to = blk + 1 < d.blockStarts.length ? d.blockStarts[blk + 1] : d.entries.length;
            int base = blk * BLOCK;
            int nameOff = (to - from) * DIRENT;
            for (int i = from; i < to; i++) {
                int at = base + (i - from) * DIRENT;
                Dirent e = d.entries[i];
                b.putLong(at, e.target().nid);
                b.putShort(at + 8, (short) nameOff);
                c[at + 10] = fileType(e.target());
                System.arraycopy(e.name(), 0, c, base + nameOff, e.name().length);
                nameOff += e.name().length;
            }
        }
        return c;
    }

    static byte fileType(Inode n) {
        return switch (n.mode & Inode.S_IFMT) {
            case Inode.S_IFREG -> 1;
            case Inode.S_IFDIR -> 2;
            case Inode.S_IFCHR -> 3;
            case Inode.S_IFBLK -> 4;
            case Inode.S_IFIFO -> 5;
            case Inode.S_IFSOCK -> 6;
            case Inode.S_IFLNK -> 7;
            default -> 0;
        };
    }

    /**
     * Decides, per inode, whether its tail is inlined, and gives directory blocks and any tail that
     * cannot be inlined a place in the data area.
     */
    private boolean[] placeData() throws IOException {
        boolean[] inline = new boolean[order.size()];
        for (int i = 0; i < order.size(); i++) {
            Inode n = order.get(i);
            int tailLen = (int) (n.size & (BLOCK - 1));
            int fixed = INODE_SIZE + xattrBodies.get(n).length;
            if (n.isDir()) {
                inline[i] = tailLen > 0 && fixed + tailLen <= BLOCK;
                long blocks = (n.size >>> DataArea.BLOCK_BITS) + (tailLen > 0 && !inline[i] ? 1 : 0);
                n.startBlock = blocks == 0 ? 0 : data.reserve(blocks);
            } else if (n.isSymlink() || (n.isReg() && n.tail != null)) {
                inline[i] = fixed + tailLen <= BLOCK;
                if (!inline[i]) {
                    relocate(n);
                }
            }
        }
        return inline;
    }

    /** Rare (huge xattrs): the tail cannot sit beside the inode, so data and tail move to fresh blocks. */
    private void relocate(Inode n) throws IOException {
        long full = n.size >>> DataArea.BLOCK_BITS;
        long start = data.reserve(full + 1);
        long from = n.startBlock << DataArea.BLOCK_BITS;
        long to = start << DataArea.BLOCK_BITS;
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        for (long done = 0; done < full * BLOCK;) {
            buf.clear().limit((int) Math.min(buf.capacity(), full * BLOCK - done));
            int r = out.read(buf, from + done);
            if (r <= 0) { // a hole at the end of the file so far: zeros
                Arrays.fill(buf.array(), buf.position(), buf.limit(), (byte) 0);
                buf.position(buf.limit());
            }
            buf.flip();
            int len = buf.remaining();
            data.write(to + done, buf.array(), 0, len);
            done += len;
        }
        data.write(to + full * BLOCK, n.tail, 0, n.tail.length);
        n.startBlock = start;
        n.tail = null;
    }

    /** Gives every inode its nid: 32-byte aligned, not straddling a block unless larger than one. */
    private long assignNids(boolean[] inline) {
        // the first slot stays empty: nid 0 is the kernel's inode number 0, and readdir() in glibc skips
        // entries with d_ino 0, so a root at nid 0 would hide every ".." that points at it
        long pos = 32;
        for (int i = 0; i < order.size(); i++) {
            Inode n = order.get(i);
            long total = footprint(n, inline[i]);
            pos = (pos + 31) & ~31L;
            long inBlock = pos & (BLOCK - 1);
            if (inBlock != 0 && (total > BLOCK || inBlock + total > BLOCK)) {
                pos = (pos + BLOCK - 1) & ~(long) (BLOCK - 1);
            }
            n.nid = pos >>> 5;
            pos += total;
        }
        if (order.get(0).nid > 0xffff) {
            throw new IllegalStateException("root nid must fit 16 bits");
        }
        return pos;
    }

    private int footprint(Inode n, boolean inline) {
        return INODE_SIZE + xattrBodies.get(n).length + (inline ? (int) (n.size & (BLOCK - 1)) : 0);
    }

    /** Fills the inode area through a 4 MiB window, flushed at block boundaries as it slides. */
    private void writeMeta(long base, long size, boolean[] inline) throws IOException {
        final int chunk = 1 << 22; // > the largest inode: 64 + 12 + 65535 * 4 xattr bytes + a tail
        ByteBuffer buf = ByteBuffer.allocate(chunk + BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
        long bufStart = 0; // meta offset of buf[0]
        for (int i = 0; i < order.size(); i++) {
            Inode n = order.get(i);
            long at = n.nid << 5;
            if (at - bufStart + footprint(n, inline[i]) > buf.capacity()) {
                long flushTo = at & ~(long) (BLOCK - 1);
                flush(buf, base + bufStart, (int) (flushTo - bufStart));
                bufStart = flushTo;
            }
            inode(buf, (int) (at - bufStart), n, inline[i]);
        }
        flush(buf, base + bufStart, (int) Math.min(buf.capacity(), size - bufStart));
    }

    private void flush(ByteBuffer buf, long pos, int len) throws IOException {
        byte[] a = buf.array();
        data.writeFully(ByteBuffer.wrap(a, 0, len), pos);
        // slide: the block being filled (inodes before the flush point that share it) moves to the front
        System.arraycopy(a, len, a, 0, a.length - len);
        Arrays.fill(a, a.length - len, a.length, (byte) 0);
    }

    private void inode(ByteBuffer b, int at, Inode n, boolean inline) {
        byte[] x = xattrBodies.get(n);
        int layout = inline ? LAYOUT_FLAT_INLINE : LAYOUT_FLAT_PLAIN;
        b.putShort(at, (short) (1 | layout << 1)); // extended inode
        b.putShort(at + 2, (short) (x.length == 0 ? 0 : (x.length - 12) / 4 + 1));
        b.putShort(at + 4, (short) n.mode);
        b.putLong(at + 8, n.isDir() || n.isReg() || n.isSymlink() ? n.size : 0);
        int iu;
        if (n.isDevice()) {
            iu = (n.rdevMinor & 0xff) | (n.rdevMajor << 8) | ((n.rdevMinor & ~0xff) << 12);
        } else if (n.isDir() || n.isReg() || n.isSymlink()) {
            iu = (int) n.startBlock;
        } else {
            iu = 0;
        }
        b.putInt(at + 16, iu);
        b.putInt(at + 20, (int) (indexes.get(n) + 1)); // i_ino
        b.putInt(at + 24, (int) n.uid);
        b.putInt(at + 28, (int) n.gid);
        b.putLong(at + 32, n.mtime);
        b.putInt(at + 40, n.mtimeNsec);
        b.putInt(at + 44, n.nlink);
        b.put(at + INODE_SIZE, x);
        if (inline) {
            int tailLen = (int) (n.size & (BLOCK - 1));
            b.put(at + INODE_SIZE + x.length, n.tail, n.tail.length - tailLen, tailLen);
        }
    }

    private void writeSuperblock(Inode root, long metaBlock, long blocks, byte[] uuid) throws IOException {
        ByteBuffer sb = ByteBuffer.allocate(BLOCK - SB_OFFSET).order(ByteOrder.LITTLE_ENDIAN);
        long epoch = 0;
        for (Inode n : order) {
            epoch = Math.max(epoch, n.mtime);
        }
        sb.putInt(0, MAGIC);
        sb.putInt(8, FEATURE_COMPAT_SB_CHKSUM);
        sb.put(12, (byte) DataArea.BLOCK_BITS);
        sb.putShort(14, (short) root.nid);
        sb.putLong(16, order.size());
        sb.putLong(24, epoch);
        sb.putInt(36, (int) blocks);
        sb.putInt(40, (int) metaBlock);
        sb.put(48, uuid, 0, 16);
        CRC32C crc = new CRC32C();
        crc.update(sb.array());
        // the kernel's crc32c(~0, …) has no final inversion, java.util.zip.CRC32C has one
        sb.putInt(4, (int) ~crc.getValue());
        data.writeFully(sb, SB_OFFSET);
    }
}
