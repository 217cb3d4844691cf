package io.msb.ssh.internal;

import io.msb.api.NotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.function.Supplier;

/**
 * The agent's file errors as the java.nio exceptions MINA's sftp turns into status codes (no such file, permission
 * denied, file exists…). The agent reports errno as its C library's text (agentd: "op path: strerror").
 */
final class GuestErrors {
    private GuestErrors() {
    }

    static <T> T call(String path, Supplier<T> operation) throws IOException {
        try {
            return operation.get();
        } catch (RuntimeException e) {
            throw translate(path, e);
        }
    }

    static void run(String path, Runnable operation) throws IOException {
        call(path, () -> {
            operation.run();
            return null;
        });
    }

    static IOException translate(String path, RuntimeException e) {
        if (e instanceof UncheckedIOException u) {
            return u.getCause();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        FileSystemException mapped;
        if (e instanceof NotFoundException || message.contains("No such file")) {
            mapped = new NoSuchFileException(path, null, message);
        } else if (message.contains("Permission denied") || message.contains("Operation not permitted")) {
            mapped = new AccessDeniedException(path, null, message);
        } else if (message.contains("File exists")) {
            mapped = new FileAlreadyExistsException(path, null, message);
        } else if (message.contains("Directory not empty")) {
            mapped = new DirectoryNotEmptyException(path);
        } else if (message.contains("Not a directory")) {
            mapped = new NotDirectoryException(path);
        } else {
            return new IOException(message, e);
        }
        mapped.initCause(e);
        return mapped;
    }
}
