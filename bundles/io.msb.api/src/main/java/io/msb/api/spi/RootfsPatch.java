package io.msb.api.spi;

/** A change applied to a sandbox's writable upper disk before boot. Paths are absolute guest paths. */
public sealed interface RootfsPatch {
    record WriteFile(String path, byte[] content, int mode) implements RootfsPatch {
    }

    record AppendFile(String path, byte[] content) implements RootfsPatch {
    }

    record Mkdir(String path, int mode) implements RootfsPatch {
    }

    record CopyFromHost(java.nio.file.Path source, String path) implements RootfsPatch {
    }

    record Symlink(String target, String path) implements RootfsPatch {
    }

    record Remove(String path) implements RootfsPatch {
    }
}
