package io.msb.api.volume;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A named volume as it stands.
 *
 * @param id stable id (the HTTP API addresses volumes by it)
 * @param spec what it was created with (labels and quota as last updated)
 * @param path the host directory a {@link VolumeKind#DIRECTORY} volume shares, or the image file of a
 *        {@link VolumeKind#DISK} volume
 * @param usedBytes bytes its files occupy on the host
 * @param usedBy names of the sandboxes whose spec mounts it, in name order
 */
public record VolumeInfo(UUID id, VolumeSpec spec, Path path, Instant createdAt, Instant updatedAt,
        long usedBytes, List<String> usedBy) {
    public VolumeInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(path, "path");
        usedBy = List.copyOf(usedBy);
    }

    public String name() {
        return spec.name();
    }

    public VolumeKind kind() {
        return spec.kind();
    }

    public Map<String, String> labels() {
        return spec.labels();
    }
}
