package io.msb.api;

import java.nio.file.Path;
import java.util.Objects;

/** Where a sandbox's root filesystem comes from. */
public sealed interface RootfsSource {

    /** An OCI image reference such as {@code debian:bookworm} or {@code 127.0.0.1:5000/x/y@sha256:…}. */
    record OciImage(String reference) implements RootfsSource {
        public OciImage {
            Objects.requireNonNull(reference, "reference");
        }
    }

    /** A host directory used as the root (bind path; must exist and be a directory). */
    record HostDirectory(Path path) implements RootfsSource {
        public HostDirectory {
            Objects.requireNonNull(path, "path");
        }
    }

    /** A disk image file used as the root (must be a regular file). */
    record DiskImage(Path path, Format format) implements RootfsSource {
        public enum Format { RAW, QCOW2 }

        public DiskImage {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(format, "format");
        }
    }

    static RootfsSource image(String reference) {
        return new OciImage(reference);
    }
}
