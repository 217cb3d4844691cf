package io.msb.http.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The {@code /v1} routes as data: what {@link ApiServlet} lets through to its handlers (a request no route matches
 * is refused before them) and what {@code openapi.json} must describe, one for one (decision 1840). Templates are in
 * OpenAPI's form; {@code {reference}} alone may span several segments (an image reference has slashes in it).
 */
final class Routes {
    /** One operation: an HTTP method (HEAD is served wherever GET is) and a path template. */
    record Route(String method, String template) {
        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    static final String MULTI_SEGMENT = "{reference}";

    /** Answered without the API key: a client probes them before it has one. */
    static final List<Route> OPEN = List.of(
            new Route("GET", "/v1/version"),
            new Route("GET", "/v1/openapi.json"));

    /** Served by {@link AgentSocketFilter} in front of the servlet (a WebSocket upgrade), with the same key check. */
    static final Route AGENT_SOCKET = new Route("GET", "/v1/sandboxes/{id}/agent");

    /** The servlet's key-checked routes. */
    static final List<Route> KEYED = List.of(
            new Route("GET", "/v1/info"),
            new Route("GET", "/v1/tls/ca.pem"),
            new Route("GET", "/v1/sandboxes"),
            new Route("POST", "/v1/sandboxes"),
            new Route("GET", "/v1/sandboxes/{id}"),
            new Route("DELETE", "/v1/sandboxes/{id}"),
            new Route("POST", "/v1/sandboxes/{id}/start"),
            new Route("POST", "/v1/sandboxes/{id}/stop"),
            new Route("POST", "/v1/sandboxes/{id}/kill"),
            new Route("POST", "/v1/sandboxes/{id}/pause"),
            new Route("POST", "/v1/sandboxes/{id}/resume"),
            new Route("POST", "/v1/sandboxes/{id}/exec"),
            new Route("GET", "/v1/sandboxes/{id}/metrics"),
            new Route("GET", "/v1/sandboxes/{id}/processes"),
            new Route("GET", "/v1/sandboxes/{id}/logs"),
            new Route("PATCH", "/v1/sandboxes/{id}/network/policy"),
            new Route("GET", "/v1/sandboxes/by-name/{name}"),
            new Route("DELETE", "/v1/sandboxes/by-name/{name}"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/start"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/stop"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/kill"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/pause"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/resume"),
            new Route("POST", "/v1/sandboxes/by-name/{name}/exec"),
            new Route("GET", "/v1/sandboxes/by-name/{name}/metrics"),
            new Route("GET", "/v1/sandboxes/by-name/{name}/processes"),
            new Route("GET", "/v1/sandboxes/by-name/{name}/logs"),
            new Route("PATCH", "/v1/sandboxes/by-name/{name}/network/policy"),
            new Route("GET", "/v1/images"),
            new Route("POST", "/v1/images/pull"),
            new Route("POST", "/v1/images/load"),
            new Route("POST", "/v1/images/prune"),
            new Route("GET", "/v1/images/{reference}"),
            new Route("DELETE", "/v1/images/{reference}"),
            new Route("GET", "/v1/images/{reference}/archive"),
            new Route("GET", "/v1/volumes"),
            new Route("POST", "/v1/volumes"),
            new Route("GET", "/v1/volumes/default"),
            new Route("POST", "/v1/volumes/prune"),
            new Route("GET", "/v1/volumes/{id}"),
            new Route("PATCH", "/v1/volumes/{id}"),
            new Route("DELETE", "/v1/volumes/{id}"),
            new Route("GET", "/v1/volumes/{id}/files"),
            new Route("DELETE", "/v1/volumes/{id}/files"),
            new Route("GET", "/v1/volumes/{id}/files/stat"),
            new Route("GET", "/v1/volumes/{id}/files/exists"),
            new Route("GET", "/v1/volumes/{id}/files/content"),
            new Route("PUT", "/v1/volumes/{id}/files/content"),
            new Route("POST", "/v1/volumes/{id}/files/mkdir"),
            new Route("POST", "/v1/volumes/{id}/files/copy"),
            new Route("POST", "/v1/volumes/{id}/files/rename"),
            new Route("GET", "/v1/snapshots"),
            new Route("POST", "/v1/snapshots"),
            new Route("POST", "/v1/snapshots/import"),
            new Route("GET", "/v1/snapshots/{name}"),
            new Route("DELETE", "/v1/snapshots/{name}"),
            new Route("GET", "/v1/snapshots/{name}/archive"),
            new Route("POST", "/v1/snapshots/{name}/branch"),
            new Route("POST", "/v1/snapshots/{name}/verify"),
            new Route("GET", "/v1/snapshots/by-name/{name}"),
            new Route("DELETE", "/v1/snapshots/by-name/{name}"),
            new Route("GET", "/v1/snapshots/by-name/{name}/archive"),
            new Route("POST", "/v1/snapshots/by-name/{name}/branch"),
            new Route("POST", "/v1/snapshots/by-name/{name}/verify"));

    private Routes() {
    }

    /** Every route the server answers, the agent WebSocket included: what the document describes. */
    static List<Route> all() {
        return Stream.of(OPEN.stream(), KEYED.stream(), Stream.of(AGENT_SOCKET)).flatMap(s -> s).toList();
    }

    /**
     * The methods of the keyed routes whose template matches {@code segments} (the path below {@code /v1/}):
     * empty when no route has that path.
     */
    static Set<String> methods(List<String> segments) {
        Set<String> methods = new LinkedHashSet<>();
        for (Route route : KEYED) {
            if (matches(route.template(), segments)) {
                methods.add(route.method());
            }
        }
        return methods;
    }

    /** The {@code Allow} header's value for these methods: HEAD wherever GET is. */
    static String allow(Set<String> methods) {
        List<String> allowed = methods.stream().flatMap(m -> m.equals("GET") ? Stream.of("GET", "HEAD") : Stream.of(m))
                .toList();
        return String.join(", ", allowed);
    }

    static boolean matches(String template, List<String> segments) {
        List<String> parts = List.of(template.substring("/v1/".length()).split("/"));
        return matches(parts, 0, segments, 0);
    }

    private static boolean matches(List<String> parts, int p, List<String> segments, int s) {
        if (p == parts.size()) {
            return s == segments.size();
        }
        if (s == segments.size() || segments.get(s).isEmpty()) {
            return false;
        }
        String part = parts.get(p);
        if (part.equals(MULTI_SEGMENT)) {
            for (int end = s + 1; end <= segments.size(); end++) {
                if (matches(parts, p + 1, segments, end)) {
                    return true;
                }
            }
            return false;
        }
        boolean parameter = part.startsWith("{") && part.endsWith("}");
        return (parameter || part.equals(segments.get(s))) && matches(parts, p + 1, segments, s + 1);
    }
}
