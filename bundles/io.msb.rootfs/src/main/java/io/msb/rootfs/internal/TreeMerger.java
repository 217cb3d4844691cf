package io.msb.rootfs.internal;

import io.msb.api.MsbException;
import java.util.List;

/**
 * Applies layers, lowest first, to one in-memory tree with OCI semantics: a layer's whiteouts and opaque
 * markers hide only what lower layers put there, a directory entry updates an existing directory's
 * metadata and keeps its children, anything else replaces what was at its path. A directory that a
 * layer only fills implicitly keeps the metadata its earlier layer gave it (as umoci does); one that no
 * layer ever describes is created 0755 root:root with mtime 0.
 */
final class TreeMerger {
    private final Inode root = Inode.directory(0755, 0, 0, 0, 0);

    Inode root() {
        return root;
    }

    void apply(List<LayerEntry> layer, String where) {
        // whiteouts first: they refer to lower layers, whatever their position in the archive
        for (LayerEntry e : layer) {
            switch (e.kind()) {
                case WHITEOUT -> {
                    Inode parent = lookup(e.path().subList(0, e.path().size() - 1));
                    if (parent != null && parent.isDir()) {
                        parent.children.remove(e.path().get(e.path().size() - 1));
                    }
                }
                case OPAQUE -> {
                    Inode dir = lookup(e.path());
                    if (dir != null && dir.isDir()) {
                        dir.children.clear();
                    }
                }
                default -> {
                }
            }
        }
        for (LayerEntry e : layer) {
            switch (e.kind()) {
                case ADD -> add(e.path(), e.inode());
                case HARDLINK -> {
                    Inode target = lookup(e.linkTarget());
                    if (target == null || target.isDir()) {
                        throw new MsbException("layer " + where + ": hard link /" + String.join("/", e.path())
                                + " points at /" + String.join("/", e.linkTarget())
                                + ", which is " + (target == null ? "missing" : "a directory"));
                    }
                    if (!e.path().isEmpty()) {
                        parentOf(e.path()).children.put(last(e.path()), target);
                    }
                }
                case OPAQUE -> ensureDir(e.path()); // the marked directory exists even if only implicitly
                default -> {
                }
            }
        }
    }

    private void add(List<String> path, Inode node) {
        if (path.isEmpty()) {
            if (node.isDir()) {
                root.takeMetadata(node);
            }
            return;
        }
        Inode parent = parentOf(path);
        String name = last(path);
        Inode old = parent.children.get(name);
        if (node.isDir() && old != null && old.isDir()) {
            old.takeMetadata(node);
        } else {
            parent.children.put(name, node);
        }
    }

    /** The directory that holds {@code path}, creating missing (or replacing non-directory) parents. */
    private Inode parentOf(List<String> path) {
        return ensureDir(path.subList(0, path.size() - 1));
    }

    private Inode ensureDir(List<String> path) {
        Inode dir = root;
        for (int i = 0; i < path.size(); i++) {
            Inode next = dir.children.get(path.get(i));
            if (next == null || !next.isDir()) {
                next = Inode.directory(0755, 0, 0, 0, 0);
                dir.children.put(path.get(i), next);
            }
            dir = next;
        }
        return dir;
    }

    private Inode lookup(List<String> path) {
        Inode n = root;
        for (String p : path) {
            if (!n.isDir()) {
                return null;
            }
            n = n.children.get(p);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    private static String last(List<String> path) {
        return path.get(path.size() - 1);
    }
}
