package io.msb.api.network;

import java.util.Map;

/**
 * Where in a request the placeholder is replaced by the secret, JSON
 * {@code {"headers":true,"basic_auth":true,"query_params":false,"body":false}} (microsandbox's defaults).
 */
public record Injection(boolean headers, boolean basicAuth, boolean queryParams, boolean body) {
    public static final Injection DEFAULT = new Injection(true, true, false, false);

    public Map<String, Object> toMap() {
        return MapReader.ordered("headers", headers, "basic_auth", basicAuth, "query_params", queryParams, "body", body);
    }

    static Injection read(Object v, String path) {
        MapReader m = MapReader.of(v, path);
        return m.build(() -> new Injection(m.bool("headers", true), m.bool("basic_auth", true),
                m.bool("query_params", false), m.bool("body", false)));
    }
}
