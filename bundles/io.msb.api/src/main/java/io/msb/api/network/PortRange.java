package io.msb.api.network;

import io.msb.api.Check;
import java.util.Map;

/**
 * An inclusive range of guest-side ports, JSON {@code {"start":80,"end":80}}.
 *
 * @param start first port, 0..65535
 * @param end last port, start..65535
 */
public record PortRange(int start, int end) {
    public PortRange {
        Check.range("start", start, 0, 65535);
        Check.range("end", end, 0, 65535);
        if (start > end) {
            throw Check.invalid("start", "must not be greater than end (" + start + " > " + end + ")");
        }
    }

    public static PortRange of(int port) {
        return new PortRange(port, port);
    }

    public boolean contains(int port) {
        return port >= start && port <= end;
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("start", start, "end", end);
    }

    static PortRange read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> new PortRange(m.integer("start", 0, 65535), m.integer("end", 0, 65535)));
    }
}
