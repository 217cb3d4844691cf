package io.msb.rootfs.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One file of the merged tree: metadata plus where its data lives. Hard links are several directory
 * entries that point at the same {@code Inode}.
 */
final class Inode {
    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 0060000;
    static final int S_IFDIR = 0040000;
    static final int S_IFCHR = 0020000;
    static final int S_IFIFO = 0010000;

    int mode;
    long uid;
    long gid;
    long mtime;
    int mtimeNsec;
    /** File size, or symlink target length; directories get theirs at layout time. */
    long size;
    /** First block of the full data blocks already written to the data area (regular files). */
    long startBlock;
    /** The bytes after the last full block (or the symlink target), kept for inlining; null if written as a block. */
    byte[] tail;
    int rdevMajor;
    int rdevMinor;
    /** xattrs by full name (e.g. {@code user.foo}); sorted so that images are reproducible. */
    Map<String, byte[]> xattrs = new TreeMap<>();
    /** Children by name, directories only. */
    Map<String, Inode> children;

    // Layout state, filled in by ErofsWriter.
    long nid = -1;
    int nlink;

    static Inode directory(int perm, long uid, long gid, long mtime, int nsec) {
        Inode d = new Inode();
        d.mode = S_IFDIR | (perm & 07777);
        d.uid = uid;
        d.gid = gid;
        d.mtime = mtime;
        d.mtimeNsec = nsec;
        d.children = new HashMap<>();
        return d;
    }

    boolean isDir() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    boolean isReg() {
        return (mode & S_IFMT) == S_IFREG;
    }

    boolean isSymlink() {
        return (mode & S_IFMT) == S_IFLNK;
    }

    boolean isDevice() {
        int t = mode & S_IFMT;
        return t == S_IFCHR || t == S_IFBLK;
    }

    /** Copies the metadata (not the content) of {@code o}: a directory entry in a later layer updates an existing directory. */
    void takeMetadata(Inode o) {
        mode = o.mode;
        uid = o.uid;
        gid = o.gid;
        mtime = o.mtime;
        mtimeNsec = o.mtimeNsec;
        xattrs = o.xattrs;
    }
}
