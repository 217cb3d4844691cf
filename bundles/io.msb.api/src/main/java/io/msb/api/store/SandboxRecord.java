package io.msb.api.store;

import io.msb.api.SandboxStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A sandbox row.
 *
 * @param name unique name
 * @param configJson the spec as JSON, owned by the runtime
 * @param status current status
 * @param ephemeral removed when it stops
 * @param labels user labels
 * @param createdAt creation time
 * @param updatedAt last change
 */
public record SandboxRecord(String name, String configJson, SandboxStatus status, boolean ephemeral,
        Map<String, String> labels, Instant createdAt, Instant updatedAt) {
    public SandboxRecord {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(configJson, "configJson");
        Objects.requireNonNull(status, "status");
        labels = Map.copyOf(labels);
    }

    public SandboxRecord withStatus(SandboxStatus newStatus, Instant at) {
        return new SandboxRecord(name, configJson, newStatus, ephemeral, labels, createdAt, at);
    }
}
