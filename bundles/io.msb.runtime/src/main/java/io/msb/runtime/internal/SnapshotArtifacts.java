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
        return json(name).map(json -> SnapshotManifest.parse(json, "snapshot " + name).info(name,
                SnapshotManifest.sha256(json), root.resolve(name)));
    }

    /** The parsed manifest, for what {@link SnapshotInfo} does not carry (a resumable snapshot's VM state). */
    Optional<SnapshotManifest> manifest(String name) {
        return json(name).map(json -> SnapshotManifest.parse(json, "snapshot " + name));
    }

    private Optional<byte[]> json(String name) {
        Path file = root.resolve(name).resolve(SnapshotManifest.FILE);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Checks a file's size against the manifest's, without reading it. */
    static void checkSize(Path file, long size, String where) {
        try {
            long actual = Files.size(file);
            if (actual != size) {
                throw new SnapshotCorruptException(where + ": " + file.getFileName() + " has " + actual
                        + " bytes, the manifest says " + size);
            }
        } catch (NoSuchFileException e) {
            throw new SnapshotCorruptException(where + ": " + file.getFileName() + " is missing");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
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
        checkSize(upper, size, where);
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
        return copyUpperTo(name, target, true);
    }

    /**
     * @param digest check the copy's digest too; a resumable snapshot's restore checks sizes only, since reading a
     *        whole disk would cost more than the restore itself (decision 1248)
     */
    SnapshotInfo copyUpperTo(String name, Path target, boolean digest) {
        SnapshotInfo info = read(name).orElseThrow(() -> new NotFoundException("snapshot", name));
        DiskCopy.copy(info.path().resolve(SnapshotManifest.UPPER), target);
        try {
            if (digest) {
                check(target, info.sizeBytes(), info.upperDigest(), "snapshot " + name);
            } else {
                checkSize(target, info.sizeBytes(), "snapshot " + name);
            }
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
