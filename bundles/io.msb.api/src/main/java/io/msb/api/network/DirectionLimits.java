package io.msb.api.network;

import io.msb.api.Check;
import java.util.Map;

/**
 * One direction's limits, JSON {@code {"bandwidth":{…},"ops":{…}}}: bandwidth counts bytes, ops counts
 * frames; at least one is required.
 */
public record DirectionLimits(RateLimit bandwidth, RateLimit ops) {
    public DirectionLimits {
        if (bandwidth == null && ops == null) {
            throw Check.invalid("bandwidth", "a rate limiter needs bandwidth or ops (or both)");
        }
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("bandwidth", bandwidth == null ? null : bandwidth.toMap(),
                "ops", ops == null ? null : ops.toMap());
    }

    static DirectionLimits read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> new DirectionLimits(m.object("bandwidth", RateLimit::read), m.object("ops", RateLimit::read)));
    }
}
