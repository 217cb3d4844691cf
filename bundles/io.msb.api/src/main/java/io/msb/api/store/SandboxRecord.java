package io.msb.api.store;

import io.msb.api.SandboxStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A sandbox row.
 *
 * @param id the sandbox's public id (the cloud API's {@code id}): random, unique, never reused and never changed
 * @param name unique name
 * @param configJson the spec as JSON, owned by the runtime
 * @param status current status
 * @param ephemeral removed when it stops
 * @param labels user labels
 * @param createdAt creation time
 * @param updatedAt last change
 */
public record SandboxRecord(UUID id, String name, String configJson, SandboxStatus status, boolean ephemeral,
        Map<String, String> labels, Instant createdAt, Instant updatedAt) {
    public SandboxRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(configJson, "configJson");
        Objects.requireNonNull(status, "status");
        labels = Map.copyOf(labels);
    }

    /** The row of a new sandbox, with a new random id. */
    public SandboxRecord(String name, String configJson, SandboxStatus status, boolean ephemeral,
            Map<String, String> labels, Instant createdAt, Instant updatedAt) {
        this(UUID.randomUUID(), name, configJson, status, ephemeral, labels, createdAt, updatedAt);
    }

    public SandboxRecord withStatus(SandboxStatus newStatus, Instant at) {
        return new SandboxRecord(id, name, configJson, newStatus, ephemeral, labels, createdAt, at);
    }

    /** The same row with another stored spec. */
    public SandboxRecord withConfig(String newConfigJson) {
        return new SandboxRecord(id, name, newConfigJson, status, ephemeral, labels, createdAt, updatedAt);
    }
}
