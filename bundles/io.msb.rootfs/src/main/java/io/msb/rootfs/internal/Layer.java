package io.msb.rootfs.internal;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.msb.api.MsbException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;

/**
 * One layer blob and how it is compressed.
 *
 * @param blob the blob file
 * @param mediaType its OCI/Docker media type; null or an unknown type means "look at the magic bytes"
 * @param verified null when the blob is on disk; else completes when its download is verified, and until then
 *        the layer is read as it arrives (see {@link ArrivingBlob})
 */
public record Layer(Path blob, String mediaType, CompletableFuture<?> verified) {
    private static final int BUFFER = 1 << 20;

    public Layer {
        Objects.requireNonNull(blob, "blob");
    }

    /** A layer whose blob is on disk. */
    public Layer(Path blob, String mediaType) {
        this(blob, mediaType, null);
    }

    enum Compression { NONE, GZIP, ZSTD }

    Compression compression(BufferedInputStream raw) throws IOException {
        if (mediaType != null) {
            if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) {
                return Compression.GZIP;
            }
            if (mediaType.endsWith("+zstd") || mediaType.endsWith(".tar.zstd")) {
                return Compression.ZSTD;
            }
            if (mediaType.endsWith(".tar") || mediaType.endsWith("diff.tar")) {
                return Compression.NONE;
            }
        }
        byte[] head = new byte[4];
        raw.mark(4);
        int n = raw.readNBytes(head, 0, 4);
        raw.reset();
        if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return Compression.GZIP;
        }
        if (n == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) {
            return Compression.ZSTD;
        }
        return Compression.NONE;
    }

    /** The uncompressed tar stream. */
    InputStream open() throws IOException {
        InputStream file;
        if (verified == null) {
            if (!Files.isRegularFile(blob)) {
                throw new MsbException("layer blob is missing: " + blob);
            }
            file = Files.newInputStream(blob);
        } else {
            file = new ArrivingBlob(blob, verified);
        }
        BufferedInputStream raw = new BufferedInputStream(file, BUFFER);
        try {
            String name = blob.getFileName().toString();
            return switch (compression(raw)) {
                case GZIP -> new ReadAhead(new GZIPInputStream(raw, BUFFER), name);
                case ZSTD -> new ReadAhead(new ZstdInputStreamNoFinalizer(raw), name);
                case NONE -> raw;
            };
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }
}
