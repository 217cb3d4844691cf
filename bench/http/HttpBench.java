import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figures for the msb HTTP API against a running server: request latency of cheap routes, the round trip of
 * an exec that does nothing, and the streaming rate of exec output through NDJSON (base64 in JSON lines).
 * Run: java bench/http/HttpBench.java  (MSB_API_URL, MSB_API_KEY or $MSB_HOME/api-key as the CLI reads them)
 */
public class HttpBench {
    static final Pattern DATA = Pattern.compile("\"data\":\"([^\"]*)\"");
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static String url;
    static String key;

    public static void main(String[] args) throws Exception {
        url = System.getenv().getOrDefault("MSB_API_URL", "http://127.0.0.1:5555");
        key = System.getenv("MSB_API_KEY");
        if (key == null) {
            String home = System.getenv().getOrDefault("MSB_HOME", System.getProperty("user.home") + "/.msb");
            key = Files.readString(Path.of(home, "api-key")).strip();
        }
        String image = args.length > 0 ? args[0] : "builtin:busybox";
        String name = "bench-http-" + ProcessHandle.current().pid();
        long t0 = System.nanoTime();
        expect(200, send("POST", "/v1/sandboxes", "{\"name\":\"" + name + "\",\"image\":{\"type\":\"oci\",\"reference\":\"" + image + "\"}}"));
        System.out.printf("create (pull if missing + boot) via HTTP: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
        try {
            latency("GET /v1/version", 500, () -> expect(200, send("GET", "/v1/version", null)));
            latency("GET /v1/sandboxes/by-name/{name}", 300, () -> expect(200, send("GET", "/v1/sandboxes/by-name/" + name, null)));
            latency("GET /v1/sandboxes (list)", 300, () -> expect(200, send("GET", "/v1/sandboxes", null)));
            latency("POST exec true (to the exit line)", 50, () -> {
                String body = send("POST", "/v1/sandboxes/by-name/" + name + "/exec", "{\"cmd\":[\"true\"]}").body();
                if (!body.contains("\"type\":\"exit\"")) {
                    throw new IllegalStateException(body);
                }
            });
            long bytes = 256L << 20;
            List<Double> rates = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                rates.add(stream(name, bytes));
            }
            Collections.sort(rates);
            System.out.printf("exec stdout streamed (head -c 256 MiB /dev/zero), decoded: median %.0f MB/s (min %.0f, max %.0f, 5 runs)%n",
                    rates.get(2), rates.get(0), rates.get(4));
        } finally {
            send("DELETE", "/v1/sandboxes/by-name/" + name, null);
        }
    }

    interface Call {
        void run() throws Exception;
    }

    static void latency(String what, int n, Call call) throws Exception {
        for (int i = 0; i < Math.max(10, n / 10); i++) {
            call.run(); // warm-up
        }
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            call.run();
            times.add(System.nanoTime() - t);
        }
        Collections.sort(times);
        System.out.printf("%-40s n=%d median %.2f ms, p90 %.2f ms, p99 %.2f ms%n", what, n, times.get(n / 2) / 1e6,
                times.get(n * 9 / 10) / 1e6, times.get(Math.min(n - 1, n * 99 / 100)) / 1e6);
    }

    /** Streams {@code bytes} of stdout and returns the decoded rate in MB/s. */
    static double stream(String name, long bytes) throws Exception {
        long t = System.nanoTime();
        HttpResponse<java.io.InputStream> r = HTTP.send(request("POST", "/v1/sandboxes/by-name/" + name + "/exec",
                "{\"cmd\":[\"head\",\"-c\",\"" + bytes + "\",\"/dev/zero\"]}"), HttpResponse.BodyHandlers.ofInputStream());
        long got = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.US_ASCII), 1 << 20)) {
            for (String line; (line = lines.readLine()) != null;) {
                Matcher m = DATA.matcher(line);
                if (m.find()) {
                    got += Base64.getDecoder().decode(m.group(1)).length;
                }
            }
        }
        if (got != bytes) {
            throw new IllegalStateException("streamed " + got + " bytes, expected " + bytes);
        }
        return bytes / ((System.nanoTime() - t) / 1e9) / 1e6;
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest request(String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    static void expect(int status, HttpResponse<String> r) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.statusCode() + " " + r.body());
        }
    }
}
