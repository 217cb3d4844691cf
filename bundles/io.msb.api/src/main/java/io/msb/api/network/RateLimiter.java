package io.msb.api.network;

import java.util.Map;

/** Rate limits per direction, JSON {@code {"egress":{…},"ingress":{…}}}; a missing direction is unlimited. */
public record RateLimiter(DirectionLimits egress, DirectionLimits ingress) {
    public static final RateLimiter UNLIMITED = new RateLimiter(null, null);

    public Map<String, Object> toMap() {
        return MapReader.ordered("egress", egress == null ? null : egress.toMap(),
                "ingress", ingress == null ? null : ingress.toMap());
    }

    static RateLimiter read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> new RateLimiter(m.object("egress", DirectionLimits::read), m.object("ingress", DirectionLimits::read)));
    }
}
