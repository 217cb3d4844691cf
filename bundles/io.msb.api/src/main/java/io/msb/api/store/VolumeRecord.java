package io.msb.api.store;

import java.time.Instant;
import java.util.Map;

/**
 * A named volume.
 *
 * @param name unique name
 * @param path host directory holding its data
 * @param sizeLimitMib quota, 0 for none
 * @param labels user labels
 * @param createdAt creation time
 */
public record VolumeRecord(String name, String path, long sizeLimitMib, Map<String, String> labels,
        Instant createdAt) {
    public VolumeRecord {
        labels = Map.copyOf(labels);
    }
}
