package io.msb.runtime.internal;

import io.msb.api.NotFoundException;
import io.msb.api.snapshot.SnapshotCorruptException;
import io.msb.api.snapshot.SnapshotInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads the snapshot artifacts under {@code $MSB_HOME/snapshots} (decision 1231), for the snapshot service and for
 * the runtime's create from a snapshot; it never writes an artifact.
 */
final class SnapshotArtifacts {
    private final Path root;

    SnapshotArtifacts(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Optional<SnapshotInfo> read(String name) {
        Path dir = root.resolve(name);
        byte[] json;
        try {
            json = Files.readAllBytes(dir.resolve(SnapshotManifest.FILE));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(SnapshotManifest.FILE), e);
        }
        return Optional.of(SnapshotManifest.parse(json, "snapshot " + name).info(name, SnapshotManifest.sha256(json),
                dir));
    }

    List<SnapshotInfo> list() {
        List<SnapshotInfo> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> entries = Files.list(root)) {
            for (String n : entries.map(p -> p.getFileName().toString()).filter(n -> LocalSnapshotService.NAME.matcher(n).matches())
                    .sorted().toList()) {
                try {
                    read(n).ifPresent(out::add);
                } catch (SnapshotCorruptException e) {
                    // a directory whose manifest does not parse is not a snapshot; verify names the fault
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return out;
    }

    static void check(Path upper, long size, String digest, String where) {
        try {
            long actual = Files.size(upper);
            if (actual != size) {
                throw new SnapshotCorruptException(where + ": " + upper.getFileName() + " has " + actual
                        + " bytes, the manifest says " + size);
            }
        } catch (NoSuchFileException e) {
            throw new SnapshotCorruptException(where + ": " + upper.getFileName() + " is missing");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + upper, e);
        }
        String actual = DiskCopy.sha256(upper);
        if (!actual.equals(digest)) {
            throw new SnapshotCorruptException(where + ": " + upper.getFileName() + " has digest " + actual
                    + ", the manifest says " + digest);
        }
    }

    /**
     * Copies a verified snapshot's upper disk to {@code target} (a new sandbox's writable disk), with reflink where
     * the file system allows.
     *
     * @throws SnapshotCorruptException when the copy's bytes do not match the manifest
     */
    SnapshotInfo copyUpperTo(String name, Path target) {
        SnapshotInfo info = read(name).orElseThrow(() -> new NotFoundException("snapshot", name));
        DiskCopy.copy(info.path().resolve(SnapshotManifest.UPPER), target);
        try {
            check(target, info.sizeBytes(), info.upperDigest(), "snapshot " + name);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(target);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        return info;
    }
}
