import io.msb.itests.AgentSocketClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent WebSocket ({@code GET /v1/sandboxes/{id}/agent}, decision 1016) used as microsandbox's 0.6.18 SDK uses
 * it: a new WebSocket for every call, never closed. Runs CALLS (default 10,000) sequential {@code exec true} calls
 * from one process against one sandbox and prints calls/s and latency percentiles; any failed call stops it.
 * Run: java -cp itests/target/test-classes bench/http/AgentSocketBench.java [CALLS] [IMAGE]
 * (MSB_API_URL, MSB_API_KEY or $MSB_HOME/api-key as the CLI reads them; the client is itests' AgentSocketClient.)
 */
public class AgentSocketBench {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        String url = System.getenv().getOrDefault("MSB_API_URL", "http://127.0.0.1:5555");
        String key = System.getenv("MSB_API_KEY");
        if (key == null) {
            String home = System.getenv().getOrDefault("MSB_HOME", System.getProperty("user.home") + "/.msb");
            key = Files.readString(Path.of(home, "api-key")).strip();
        }
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        String image = args.length > 1 ? args[1] : "builtin:busybox";
        String name = "bench-ws-" + ProcessHandle.current().pid();
        HttpResponse<String> created = send(url, key, "POST", "/v1/sandboxes",
                "{\"name\":\"" + name + "\",\"image\":{\"type\":\"oci\",\"reference\":\"" + image + "\"}}");
        Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(created.body());
        if (created.statusCode() != 200 || !id.find()) {
            throw new IllegalStateException("create: HTTP " + created.statusCode() + " " + created.body());
        }
        URI agent = URI.create(url.replaceFirst("^http", "ws") + "/v1/sandboxes/" + id.group(1) + "/agent");
        List<AgentSocketClient> leaked = new ArrayList<>();
        List<Long> nanos = new ArrayList<>(calls);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                AgentSocketClient c = AgentSocketClient.open(HTTP, agent, key);
                leaked.add(c); // as the SDK: never closed
                int code = c.exec("true");
                if (code != 0) {
                    throw new IllegalStateException("call " + i + ": true exited " + code);
                }
                nanos.add(System.nanoTime() - t);
                if ((i + 1) % 1000 == 0) {
                    System.out.printf("%6d calls, %.1f s%n", i + 1, (System.nanoTime() - start) / 1e9);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Collections.sort(nanos);
            System.out.printf("exec true on a new agent WebSocket per call (never closed): %d calls in %.1f s, "
                    + "%.1f calls/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", calls, seconds,
                    calls / seconds, at(nanos, 50), at(nanos, 90), at(nanos, 99), nanos.get(calls - 1) / 1e6);
        } finally {
            leaked.forEach(AgentSocketClient::abort);
            send(url, key, "DELETE", "/v1/sandboxes/by-name/" + name, null);
        }
    }

    static double at(List<Long> sorted, int percentile) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percentile / 100)) / 1e6;
    }

    static HttpResponse<String> send(String url, String key, String method, String path, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
