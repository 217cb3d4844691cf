package io.msb.api;

import io.msb.api.image.ImageReference;
import java.nio.file.Path;
import java.util.Objects;

/** Where a sandbox's root filesystem comes from. */
public sealed interface RootfsSource {

    /** An OCI image such as {@code debian:bookworm}, {@code 127.0.0.1:5000/x/y@sha256:…} or {@code builtin:busybox}. */
    record OciImage(ImageReference reference) implements RootfsSource {
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

    /** @throws InvalidConfigException naming the field {@code image} when the reference is malformed */
    static RootfsSource image(String reference) {
        return new OciImage(ImageReference.parse(reference));
    }

    /**
     * Parses a root as typed on a console or command line: {@code dir:PATH} (a host directory),
     * {@code disk:PATH} (a disk image; qcow2 when the name ends in {@code .qcow2}, else raw), or an image reference.
     *
     * @throws InvalidConfigException naming the field {@code image} when an image reference is malformed
     */
    static RootfsSource parse(String text) {
        if (text.startsWith("dir:")) {
            return new HostDirectory(Path.of(text.substring(4)));
        }
        if (text.startsWith("disk:")) {
            Path path = Path.of(text.substring(5));
            return new DiskImage(path, path.toString().endsWith(".qcow2") ? DiskImage.Format.QCOW2 : DiskImage.Format.RAW);
        }
        return image(text);
    }
}
