package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Streams one layer: turns its tar entries into {@link LayerEntry}s and copies file data straight into
 * the image's data area. Layers are read in parallel; only the (cheap, in-memory) merge is in order.
 */
final class LayerReader {
    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    private static final String AUFS_META = ".wh..wh.";
    private static final int COPY = 1 << 20;
    private static final int MAX_PATH = 4096;
    private static final int MAX_NAME = 255;
    /** Layers come from registries: bound the metadata one layer may make us hold in memory. */
    static final int MAX_ENTRIES = 4_000_000;

    private final DataArea data;
    private final TailBudget tails;

    LayerReader(DataArea data, TailBudget tails) {
        this.data = data;
        this.tails = tails;
    }

    /** Bytes of small-file tails kept in memory for inlining; beyond the budget tails go to a data block. */
    static final class TailBudget {
        private final AtomicLong left;

        TailBudget(long bytes) {
            left = new AtomicLong(bytes);
        }

        boolean take(int n) {
            if (left.addAndGet(-n) >= 0) {
                return true;
            }
            left.addAndGet(n);
            return false;
        }
    }

    List<LayerEntry> read(Layer layer) {
        List<LayerEntry> out = new ArrayList<>();
        byte[] buf = new byte[COPY];
        String where = layer.blob().getFileName().toString();
        try (InputStream in = layer.open();
                PaxTarInputStream tar = new PaxTarInputStream(in)) {
            TarArchiveEntry e;
            Map<String, byte[]> rawXattrs = new java.util.HashMap<>();
            while ((e = tar.next(rawXattrs)) != null) {
                if (out.size() >= MAX_ENTRIES) {
                    throw new MsbException("layer " + where + " has more than " + MAX_ENTRIES + " entries");
                }
                List<String> path = normalise(e.getName(), where);
                String base = path.isEmpty() ? "" : path.get(path.size() - 1);
                if (base.equals(OPAQUE)) {
                    out.add(new LayerEntry(LayerEntry.Kind.OPAQUE, path.subList(0, path.size() - 1), null, null));
                    continue;
                }
                if (path.stream().anyMatch(p -> p.startsWith(AUFS_META))) {
                    continue; // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): not part of the tree
                }
                if (base.startsWith(WHITEOUT)) {
                    List<String> victim = new ArrayList<>(path.subList(0, path.size() - 1));
                    victim.add(base.substring(WHITEOUT.length()));
                    out.add(new LayerEntry(LayerEntry.Kind.WHITEOUT, victim, null, null));
                    continue;
                }
                if (e.isLink()) {
                    out.add(new LayerEntry(LayerEntry.Kind.HARDLINK, path, null, normalise(e.getLinkName(), where)));
                    continue;
                }
                Inode node = metadata(e, where);
                if (node == null) {
                    continue; // a tar entry type with no file behind it (e.g. a GNU volume header)
                }
                node.xattrs.putAll(rawXattrs); // the exact bytes win over Commons Compress's decoded text
                if (node.isReg()) {
                    copyData(tar, node, buf, e.getName());
                }
                out.add(new LayerEntry(LayerEntry.Kind.ADD, path, node, null));
            }
        } catch (IOException e) {
            throw new MsbException("reading layer " + where + " failed: " + e.getMessage(), e);
        }
        return out;
    }

    private Inode metadata(TarArchiveEntry e, String where) {
        Inode n = new Inode();
        int perm = e.getMode() & 07777;
        if (e.isDirectory()) {
            n = Inode.directory(perm, 0, 0, 0, 0);
        } else if (e.isSymbolicLink()) {
            n.mode = Inode.S_IFLNK | 0777;
            byte[] target = e.getLinkName().getBytes(StandardCharsets.UTF_8);
            if (target.length == 0 || target.length >= MAX_PATH) {
                throw new MsbException("layer " + where + " entry " + e.getName()
                        + ": symlink target must be 1.." + (MAX_PATH - 1) + " bytes, got " + target.length);
            }
            n.tail = target;
            n.size = target.length;
        } else if (e.isCharacterDevice() || e.isBlockDevice()) {
            n.mode = (e.isCharacterDevice() ? Inode.S_IFCHR : Inode.S_IFBLK) | perm;
            n.rdevMajor = e.getDevMajor();
            n.rdevMinor = e.getDevMinor();
            if (n.rdevMajor < 0 || n.rdevMajor > 0xfff || n.rdevMinor < 0 || n.rdevMinor > 0xfffff) {
                throw new MsbException("layer " + where + " entry " + e.getName() + ": device number "
                        + n.rdevMajor + ":" + n.rdevMinor + " out of range (major <= 4095, minor <= 1048575)");
            }
        } else if (e.isFIFO()) {
            n.mode = Inode.S_IFIFO | perm;
        } else if (e.isFile()) {
            n.mode = Inode.S_IFREG | perm;
            n.size = e.getSize();
            if (n.size < 0) {
                throw new MsbException("layer " + where + " entry " + e.getName() + ": negative size");
            }
        } else {
            return null;
        }
        n.uid = e.getLongUserId();
        n.gid = e.getLongGroupId();
        if (n.uid < 0 || n.uid > 0xffffffffL || n.gid < 0 || n.gid > 0xffffffffL) {
            throw new MsbException("layer " + where + " entry " + e.getName() + ": uid/gid must fit 32 bits");
        }
        var t = e.getLastModifiedTime();
        if (t != null) {
            long nanos = t.to(TimeUnit.NANOSECONDS);
            n.mtime = Math.floorDiv(nanos, 1_000_000_000L);
            n.mtimeNsec = (int) Math.floorMod(nanos, 1_000_000_000L);
            if (nanos == Long.MAX_VALUE || nanos == Long.MIN_VALUE) { // saturated: keep whole seconds only
                n.mtime = t.to(TimeUnit.SECONDS);
                n.mtimeNsec = 0;
            }
        }
        xattrs(e.getExtraPaxHeaders(), n);
        return n;
    }

    private static void xattrs(Map<String, String> pax, Inode n) {
        for (var h : pax.entrySet()) {
            String k = h.getKey();
            if (k.startsWith("SCHILY.xattr.")) {
                n.xattrs.put(k.substring("SCHILY.xattr.".length()), h.getValue().getBytes(StandardCharsets.UTF_8));
            } else if (k.startsWith("LIBARCHIVE.xattr.")) {
                // libarchive URL-encodes the name and base64-encodes the value, so binary values survive
                String name = java.net.URLDecoder.decode(k.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
                n.xattrs.put(name, Base64.getDecoder().decode(h.getValue().trim()));
            }
        }
    }

    /** Full blocks go to the data area now; the last partial block stays in memory if the budget allows. */
    private void copyData(PaxTarInputStream tar, Inode n, byte[] buf, String name) throws IOException {
        long full = n.size >>> DataArea.BLOCK_BITS;
        int tailLen = (int) (n.size & (DataArea.BLOCK - 1));
        boolean inline = tailLen > 0 && tailLen <= DataArea.BLOCK / 2 && tails.take(tailLen);
        long blocks = full + (tailLen > 0 && !inline ? 1 : 0);
        n.startBlock = blocks == 0 ? 0 : data.reserve(blocks);
        long pos = n.startBlock << DataArea.BLOCK_BITS;
        long left = full << DataArea.BLOCK_BITS;
        while (left > 0) {
            int want = (int) Math.min(buf.length, left);
            readFully(tar, buf, want, name);
            data.write(pos, buf, 0, want);
            pos += want;
            left -= want;
        }
        if (tailLen > 0) {
            byte[] tail = new byte[tailLen];
            readFully(tar, tail, tailLen, name);
            if (inline) {
                n.tail = tail;
            } else {
                data.write(pos, tail, 0, tailLen);
            }
        }
    }

    private static void readFully(InputStream in, byte[] b, int len, String name) throws IOException {
        if (in.readNBytes(b, 0, len) != len) {
            throw new IOException("entry " + name + " is truncated");
        }
    }

    /** Splits a tar path into components, dropping "." and empty parts; ".." is refused. */
    static List<String> normalise(String name, String where) {
        if (name.length() > MAX_PATH) {
            throw new MsbException("layer " + where + " entry path is longer than " + MAX_PATH + " bytes");
        }
        List<String> parts = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                throw new MsbException("layer " + where + " entry " + name + ": path must not contain '..'");
            }
            if (p.getBytes(StandardCharsets.UTF_8).length > MAX_NAME || p.indexOf('\0') >= 0) {
                throw new MsbException("layer " + where + " entry " + name
                        + ": each name must be 1.." + MAX_NAME + " bytes without NUL");
            }
            parts.add(p);
        }
        return parts;
    }
}
