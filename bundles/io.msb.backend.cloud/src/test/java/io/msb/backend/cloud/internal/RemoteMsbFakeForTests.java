package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake of the remote msb server's HTTP API, for what a real one cannot be made to do on cue here: answer a
 * chosen error, vanish, or hold a sandbox this backend never confirmed. It speaks the wire shapes of
 * io.msb.http's servlet (SandboxResponse, NDJSON exec, SSE logs, the error body) for a few routes; the real server
 * is exercised by e2e's CloudBackendIT.
 */
final class RemoteMsbFakeForTests implements AutoCloseable {
    static final String KEY = "msb_fake-key-for-tests";
    final Map<String, ObjectNode> sandboxes = new ConcurrentHashMap<>();
    /** The next answer to a path (method + " " + path, without the query): status and JSON body. */
    final Map<String, Map.Entry<Integer, String>> scripted = new ConcurrentHashMap<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    RemoteMsbFakeForTests() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/", this::serve);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A configuration for a backend against this fake; {@code overrides} by method name. */
    CloudBackendConfig config(Map<String, Object> overrides) {
        Map<String, Object> values = new HashMap<>(overrides);
        values.putIfAbsent("url", url());
        return (CloudBackendConfig) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {CloudBackendConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> CloudBackendConfig.class;
                    case "toString" -> "config";
                    case "hashCode" -> 0;
                    case "equals" -> proxy == args[0];
                    default -> values.containsKey(method.getName()) ? values.get(method.getName())
                            : method.getDefaultValue();
                });
    }

    /** Puts a running sandbox here, as if created on the remote directly. */
    ObjectNode add(String name) {
        ObjectNode s = RemoteMsb.JSON.createObjectNode();
        s.put("id", UUID.randomUUID().toString()).put("org_id", new UUID(0, 0).toString()).put("name", name)
                .put("slug", name).put("status", "running").putNull("status_reason").put("ephemeral", false)
                .put("created_at", Instant.now().toString()).put("started_at", Instant.now().toString())
                .putNull("stopped_at").putNull("last_failure_message");
        s.putObject("spec").putObject("resources").put("vcpus", 1).put("memory_mib", 512);
        sandboxes.put(name, s);
        return s;
    }

    private void serve(HttpExchange x) throws IOException {
        try (x) {
            authorizations.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
            byte[] in = x.getRequestBody().readAllBytes();
            if (in.length > 0) {
                bodies.add(RemoteMsb.JSON.readTree(in));
            }
            String path = x.getRequestURI().getRawPath();
            String route = x.getRequestMethod() + " " + path;
            var script = scripted.remove(route);
            if (script != null) {
                send(x, script.getKey(), script.getValue(), "application/json");
                return;
            }
            if (!("Bearer " + KEY).equals(x.getRequestHeaders().getFirst("Authorization"))) {
                send(x, 401, error("invalid_api_key", "missing or invalid API key"), "application/json");
                return;
            }
            if (route.equals("GET /v1/sandboxes")) {
                send(x, 200, "{\"data\":[],\"has_more\":false,\"next_cursor\":null}", "application/json");
            } else if (route.equals("POST /v1/sandboxes")) {
                String name = bodies.get(bodies.size() - 1).path("name").asText();
                if (sandboxes.containsKey(name)) {
                    send(x, 409, error("name_already_exists", "sandbox already exists: " + name), "application/json");
                } else {
                    send(x, 200, add(name).toString(), "application/json");
                }
            } else if (path.startsWith("/v1/sandboxes/by-name/")) {
                String[] parts = path.substring("/v1/sandboxes/by-name/".length()).split("/", 2);
                String name = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
                String verb = parts.length > 1 ? parts[1] : "";
                ObjectNode s = sandboxes.get(name);
                if (s == null) {
                    send(x, 404, error("sandbox_not_found", "sandbox not found: " + name), "application/json");
                } else {
                    sandbox(x, x.getRequestMethod() + " " + verb, name, s);
                }
            } else {
                send(x, 404, error("not_found", "no such route: " + route), "application/json");
            }
        }
    }

    private void sandbox(HttpExchange x, String action, String name, ObjectNode s) throws IOException {
        switch (action) {
            case "GET " -> send(x, 200, s.toString(), "application/json");
            case "DELETE " -> {
                sandboxes.remove(name);
                send(x, 200, "{\"message\":\"sandbox " + name + " removed\"}", "application/json");
            }
            case "POST stop", "POST kill" -> {
                s.put("status", "stopped").put("stopped_at", Instant.now().toString());
                send(x, 200, s.toString(), "application/json");
            }
            case "POST exec" -> {
                // echoes its arguments after the first to stdout, then exits with 3
                JsonNode cmd = bodies.get(bodies.size() - 1).path("cmd");
                StringBuilder out = new StringBuilder();
                for (int i = 1; i < cmd.size(); i++) {
                    out.append(i > 1 ? " " : "").append(cmd.get(i).asText());
                }
                String data = Base64.getEncoder().encodeToString(out.toString().getBytes(StandardCharsets.UTF_8));
                send(x, 200, "{\"type\":\"started\",\"pid\":7}\n\n{\"type\":\"stdout\",\"data\":\"" + data
                        + "\"}\n{\"type\":\"exit\",\"code\":3,\"signal\":0}\n", "application/x-ndjson");
            }
            case "GET logs" -> send(x, 200, ": keepalive\n\nevent: log\nid: AA==\ndata: {\"source\":\"stdout\","
                    + "\"ts\":\"2026-01-01T00:00:00Z\",\"text\":\"hello\"}\n\nevent: end\ndata: {}\n\n",
                    "text/event-stream");
            default -> send(x, 404, error("not_found", "no such route: " + action), "application/json");
        }
    }

    static String error(String code, String message) {
        return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"details\":null}}";
    }

    private static void send(HttpExchange x, int status, String body, String type) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
