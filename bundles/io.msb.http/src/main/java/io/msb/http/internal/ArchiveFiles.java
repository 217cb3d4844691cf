package io.msb.http.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The temporary files of image archives going through the API (decision 1040): a {@code POST /v1/images/load} body
 * streamed to disk, at most {@code maxBytes} of it, and the archive {@code save} writes before it is sent. They live
 * in {@code <home>/tmp} (owner-only files, on the cache's file system) and the caller deletes them.
 */
final class ArchiveFiles {
    private static final System.Logger LOG = System.getLogger(ArchiveFiles.class.getName());
    private final Path dir;
    private final long maxBytes;

    ArchiveFiles(Path dir, long maxBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** A new empty file, readable by the owner only. */
    Path create() {
        try {
            Files.createDirectories(dir);
            return Files.createTempFile(dir, "archive-", ".tar");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a temporary file in " + dir, e);
        }
    }

    /**
     * Sends as the 200 answer the tar {@code write} puts in a new file (a saved image, an exported snapshot), with
     * its length; the file is deleted whatever happens.
     */
    void send(HttpServletResponse resp, java.util.function.Consumer<Path> write) throws IOException {
        Path archive = create();
        try {
            write.accept(archive);
            resp.setStatus(200);
            resp.setContentType("application/x-tar");
            resp.setContentLengthLong(Files.size(archive));
            resp.setHeader("Cache-Control", "no-store");
            try (OutputStream out = resp.getOutputStream()) {
                Files.copy(archive, out);
            }
        } finally {
            delete(archive);
        }
    }

    /**
     * The request body in a new file. A body announced or found larger than the limit is 413, and its file is
     * deleted, like the file of any body that fails to arrive: nothing is left of a failed load.
     */
    Path receive(HttpServletRequest req, RequestBodies bodies) {
        checkContentType(req.getContentType());
        long declared = req.getContentLengthLong();
        if (declared > maxBytes) {
            throw tooLarge();
        }
        if (declared == 0) {
            throw ApiException.invalid("request body", "must be a Docker archive or OCI layout tar, not empty");
        }
        Path file = create();
        try {
            bodies.receive(req, in -> copy(in, file));
            return file;
        } catch (RuntimeException e) {
            delete(file);
            throw e;
        }
    }

    private long copy(InputStream in, Path file) throws IOException {
        long total = 0;
        byte[] buffer = new byte[64 << 10];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
                if (total > maxBytes) {
                    throw tooLarge();
                }
                out.write(buffer, 0, n);
            }
        }
        return total;
    }

    private ApiException tooLarge() {
        return new ApiException(413, "invalid_request", "request body: an image archive must be at most " + maxBytes
                + " bytes (maxImageArchiveMib of io.msb.http)", null);
    }

    /** A tar, announced as such or as bytes, or not announced; anything else is 415. */
    static void checkContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        String media = RequestBodies.mediaType(contentType);
        if (!media.equals("application/x-tar") && !media.equals("application/octet-stream")) {
            throw new ApiException(415, "invalid_request", "Content-Type: must be application/x-tar or "
                    + "application/octet-stream" + JsonErrors.detail("got " + media), null);
        }
    }

    /** Deletes {@code file}; a failure is logged, not thrown (the answer it follows matters more). */
    static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete {0}: {1}", file, e.toString());
        }
    }
}
