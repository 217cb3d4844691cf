package io.msb.backend.cloud.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Files only their owner reads, replaced whole: a reader, or a crash, sees the old content or the new, never part. */
final class PrivateFiles {
    private PrivateFiles() {
    }

    /** Writes {@code content} aside (mode 0600), forces it to disk, and renames it over {@code target}. */
    static void replace(Path target, byte[] content) throws IOException {
        Files.createDirectories(target.getParent());
        Path aside = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".new",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(aside, content);
            try (FileChannel channel = FileChannel.open(aside, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(aside, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(aside);
        }
    }
}
