package io.msb.rootfs.internal;

import java.util.List;

/**
 * One change a layer makes to the tree, in archive order.
 *
 * @param kind what the change is
 * @param path the normalised path components (empty for the root)
 * @param inode the new file, for {@link Kind#ADD}
 * @param linkTarget the path components the hard link points at, for {@link Kind#HARDLINK}
 */
record LayerEntry(Kind kind, List<String> path, Inode inode, List<String> linkTarget) {
    enum Kind { ADD, HARDLINK, WHITEOUT, OPAQUE }
}
