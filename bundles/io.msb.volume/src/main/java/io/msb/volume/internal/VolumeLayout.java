package io.msb.volume.internal;

import io.msb.api.MsbException;
import io.msb.api.volume.VolumeKind;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where volumes live (decision 1211): {@code <home>/volumes/<name>/data/} for a directory volume,
 * {@code <home>/volumes/<name>/disk.ext4} for a disk volume. A volume is built in {@code .creating-<uuid>/} and
 * renamed into place; a removed one is renamed to {@code .removing-<uuid>/} before its files are deleted. Names never
 * start with {@code .}, so these never collide with a volume.
 */
final class VolumeLayout {
    static final String DATA = "data";
    static final String DISK = "disk.ext4";
    private static final String CREATING = ".creating-";
    private static final String REMOVING = ".removing-";

    private final Path root;

    VolumeLayout(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    Path root() {
        return root;
    }

    /** The volume's own directory. */
    Path volume(String name) {
        return root.resolve(name);
    }

    /** What a sandbox mounts: the shared directory or the image file. */
    Path storage(String name, VolumeKind kind) {
        return storageIn(volume(name), kind);
    }

    static Path storageIn(Path volumeDir, VolumeKind kind) {
        return volumeDir.resolve(kind == VolumeKind.DIRECTORY ? DATA : DISK);
    }

    Path newStaging() throws IOException {
        if (!Files.isDirectory(root)) {
            // only msb's user walks in: a directory volume's data is open to all (below), its parent is not
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        return Files.createDirectory(root.resolve(CREATING + UUID.randomUUID()));
    }

    /** Moves a volume's directory out of the way, so that its name is free at once; the caller deletes it. */
    Path retire(Path dir) throws IOException {
        Path trash = root.resolve(REMOVING + UUID.randomUUID());
        Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return trash;
    }

    /** The names of the entries under the root that look like volumes (not staging or trash). */
    List<String> volumeEntries() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> entries = Files.list(root)) {
            entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().forEach(out::add);
        }
        return out;
    }

    /** The staging and trash entries a killed create or remove left. */
    List<Path> leftovers() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(CREATING) || n.startsWith(REMOVING);
            }).toList();
        }
    }

    /** Deletes a tree without following its symbolic links (a link to the host's files deletes only the link). */
    static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException gone) {
            // nothing left to delete
        } catch (IOException e) {
            throw new MsbException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
