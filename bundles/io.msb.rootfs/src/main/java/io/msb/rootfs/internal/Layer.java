package io.msb.rootfs.internal;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.msb.api.MsbException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * One layer blob on disk and how it is compressed.
 *
 * @param blob the blob file
 * @param mediaType its OCI/Docker media type; null or an unknown type means "look at the magic bytes"
 */
public record Layer(Path blob, String mediaType) {
    private static final int BUFFER = 1 << 20;

    public Layer {
        Objects.requireNonNull(blob, "blob");
    }

    enum Compression { NONE, GZIP, ZSTD }

    Compression compression() throws IOException {
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
        try (InputStream in = Files.newInputStream(blob)) {
            int n = in.readNBytes(head, 0, 4);
            if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
                return Compression.GZIP;
            }
            if (n == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                    && (head[3] & 0xff) == 0xfd) {
                return Compression.ZSTD;
            }
        }
        return Compression.NONE;
    }

    /** The uncompressed tar stream. */
    InputStream open() throws IOException {
        if (!Files.isRegularFile(blob)) {
            throw new MsbException("layer blob is missing: " + blob);
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(blob), BUFFER);
        try {
            String name = blob.getFileName().toString();
            return switch (compression()) {
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
