package io.msb.api.network;

import io.msb.api.Check;
import java.util.Map;

/**
 * A token bucket, JSON {@code {"size":1048576,"refill_time_ms":1000,"one_time_burst":0}}: {@code size} tokens
 * (bytes or frames) refill every {@code refill_time_ms}; {@code one_time_burst} extra tokens are spent once.
 */
public record RateLimit(long size, long refillTimeMs, long oneTimeBurst) {
    public RateLimit {
        if (size < 1) {
            throw Check.invalid("size", "must be greater than 0, got " + size);
        }
        if (refillTimeMs < 1) {
            throw Check.invalid("refill_time_ms", "must be greater than 0, got " + refillTimeMs);
        }
        if (oneTimeBurst < 0) {
            throw Check.invalid("one_time_burst", "must not be negative, got " + oneTimeBurst);
        }
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("size", size, "refill_time_ms", refillTimeMs, "one_time_burst", oneTimeBurst);
    }

    static RateLimit read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> {
            Long size = m.optionalLong("size", 1, Long.MAX_VALUE);
            Long refill = m.optionalLong("refill_time_ms", 1, Long.MAX_VALUE);
            Long burst = m.optionalLong("one_time_burst", 0, Long.MAX_VALUE);
            if (size == null) {
                throw new MapReader.PathError(m.at("size"), "is required");
            }
            if (refill == null) {
                throw new MapReader.PathError(m.at("refill_time_ms"), "is required");
            }
            return new RateLimit(size, refill, burst == null ? 0 : burst);
        });
    }
}
