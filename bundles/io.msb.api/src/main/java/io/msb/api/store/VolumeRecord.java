package io.msb.api.store;

import io.msb.api.volume.VolumeSpec;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A named volume as recorded: its id, what it was created with (quota and labels as last updated) and when.
 *
 * @param id the public id, never reused
 * @param spec name, kind, quota, capacity and labels
 * @param createdAt when it was created
 * @param updatedAt when its quota or labels last changed
 */
public record VolumeRecord(UUID id, VolumeSpec spec, Instant createdAt, Instant updatedAt) {
    public VolumeRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    public String name() {
        return spec.name();
    }
}
