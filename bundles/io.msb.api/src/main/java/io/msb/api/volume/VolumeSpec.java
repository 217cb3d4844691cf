package io.msb.api.volume;

import java.util.Map;
import java.util.Objects;

/**
 * What to create: microsandbox's {@code VolumeSpec}.
 *
 * @param name 1–63 bytes of {@code [A-Za-z0-9._-]}, not starting with {@code .} or {@code -}
 * @param kind directory or disk image
 * @param quotaMib most the volume may hold, or null for no limit (directories)
 * @param capacityMib size of the disk image (required for {@link VolumeKind#DISK}, null otherwise)
 * @param labels user labels
 */
public record VolumeSpec(String name, VolumeKind kind, Integer quotaMib, Integer capacityMib,
        Map<String, String> labels) {
    public VolumeSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        labels = Map.copyOf(labels == null ? Map.of() : labels);
    }

    /** A directory volume without a quota or labels. */
    public static VolumeSpec directory(String name) {
        return new VolumeSpec(name, VolumeKind.DIRECTORY, null, null, Map.of());
    }
}
