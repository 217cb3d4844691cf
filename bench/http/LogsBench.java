import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The logs route ({@code GET /v1/sandboxes/{id}/logs}, decision 1017) against a running server: how long after an
 * exec's output reaches the client on the exec stream the same output arrives as a log event on a following
 * stream; the rate of log events while a command writes a lot; and the rate of replaying stored logs.
 * Run: java bench/http/LogsBench.java [ROUNDS=100] [MIB=24] [IMAGE=builtin:busybox]
 * (MSB_API_URL, MSB_API_KEY or $MSB_HOME/api-key as the CLI reads them.)
 */
public class LogsBench {
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
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 24;
        String image = args.length > 2 ? args[2] : "builtin:busybox";
        String name = "bench-logs-" + ProcessHandle.current().pid();
        HttpResponse<String> created = send("POST", "/v1/sandboxes",
                "{\"name\":\"" + name + "\",\"image\":{\"type\":\"oci\",\"reference\":\"" + image + "\"}}");
        Matcher id = Pattern.compile("\"id\":\"([^\"]+)\"").matcher(created.body());
        if (created.statusCode() != 200 || !id.find()) {
            throw new IllegalStateException("create: HTTP " + created.statusCode() + " " + created.body());
        }
        String logs = "/v1/sandboxes/" + id.group(1) + "/logs";
        try {
            latency(name, logs, rounds);
            throughput(name, logs, mib);
        } finally {
            send("DELETE", "/v1/sandboxes/by-name/" + name, null);
        }
    }

    /** Each round: echo a marker; the time from its stdout line on the exec stream to its log event. */
    static void latency(String name, String logs, int rounds) throws Exception {
        Events events = new Events(logs + "?sources=stdout", null);
        List<Long> nanos = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            String marker = "mark-" + i;
            long seenOnExec = execUntilStdout(name, "echo " + marker);
            while (true) {
                String text = events.next();
                if (text.equals(marker + "\\n")) {
                    nanos.add(events.lastAt - seenOnExec);
                    break;
                }
            }
        }
        events.close();
        Collections.sort(nanos);
        System.out.printf("exec stdout line -> its log event: n=%d median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms"
                + " (negative: the event came first)%n", rounds, at(nanos, 50), at(nanos, 90), at(nanos, 99),
                nanos.get(nanos.size() - 1) / 1e6);
    }

    /** MIB MiB of text written by one command: followed live, then replayed from the stored files. */
    static void throughput(String name, String logs, int mib) throws Exception {
        long bytes = (long) mib << 20;
        Events live = new Events(logs + "?sources=stdout", null);
        // skip what the latency rounds left
        send("POST", "/v1/sandboxes/by-name/" + name + "/exec", "{\"cmd\":[\"echo\",\"start-of-flood\"]}");
        while (!live.next().equals("start-of-flood\\n")) {
            // earlier entries
        }
        String cursor = live.lastId;
        long start = System.nanoTime();
        long[] execDone = {0};
        Thread exec = new Thread(() -> {
            try {
                HTTP.send(request("POST", "/v1/sandboxes/by-name/" + name + "/exec", "{\"cmd\":[\"sh\",\"-c\",\"yes "
                        + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU | head -c " + bytes + "\"]}"),
                        HttpResponse.BodyHandlers.discarding());
                execDone[0] = System.nanoTime();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        exec.start();
        long got = 0;
        long events = 0;
        while (got < bytes) {
            got += live.next().length(); // the text is ASCII with one escaped newline (\n, 2 chars) per 63 bytes
            events++;
        }
        double liveSeconds = (System.nanoTime() - start) / 1e9;
        exec.join();
        live.close();
        System.out.printf("live: %d MiB of exec output as %d log events in %.2f s: %.1f MB/s of text; the exec itself"
                + " (its NDJSON stream read to the end) took %.2f s%n", mib, events, liveSeconds, got / liveSeconds / 1e6,
                (execDone[0] - start) / 1e9);

        start = System.nanoTime();
        Events replay = new Events(logs + "?sources=stdout&follow=false", cursor);
        got = 0;
        events = 0;
        String t;
        while ((t = replay.nextOrEnd()) != null) {
            got += t.length();
            events++;
        }
        double replaySeconds = (System.nanoTime() - start) / 1e9;
        replay.close();
        System.out.printf("replay from the stored files (follow=false): %d log events, %.1f MB of text in %.2f s:"
                + " %.1f MB/s%n", events, got / 1e6, replaySeconds, got / replaySeconds / 1e6);
    }

    /** Runs a command on the NDJSON exec route; returns when its first stdout line arrives (then reads to the end). */
    static long execUntilStdout(String name, String command) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(request("POST", "/v1/sandboxes/by-name/" + name + "/exec",
                "{\"cmd\":[\"sh\",\"-c\",\"" + command + "\"]}"), HttpResponse.BodyHandlers.ofInputStream());
        long at = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (at == 0 && line.contains("\"type\":\"stdout\"")) {
                    at = System.nanoTime();
                }
            }
        }
        if (at == 0) {
            throw new IllegalStateException("no stdout from " + command);
        }
        return at;
    }

    /** A log event stream read on a thread of its own; texts (still JSON-escaped) with their arrival times. */
    static final class Events {
        private record Item(String text, String id, long at) {
        }

        private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
        private final InputStream body;
        long lastAt;
        String lastId;

        Events(String path, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                    .header("Accept", "text/event-stream");
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("logs: HTTP " + r.statusCode() + " " + new String(r.body().readAllBytes()));
            }
            body = r.body();
            Thread t = new Thread(this::read);
            t.setDaemon(true);
            t.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
                String id = null;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        // the server writes text last: {"source":…,"ts":…,"text":"…"}
                        int at = line.indexOf("\"text\":\"");
                        if (at >= 0 && line.endsWith("\"}")) {
                            items.add(new Item(line.substring(at + 8, line.length() - 2), id, System.nanoTime()));
                        }
                    } else if (line.equals("event: end")) {
                        items.add(new Item(null, null, System.nanoTime()));
                    }
                }
            } catch (Exception closed) {
                // closed
            }
            items.add(new Item(null, null, System.nanoTime()));
        }

        String next() throws InterruptedException {
            String t = nextOrEnd();
            if (t == null) {
                throw new IllegalStateException("the log stream ended");
            }
            return t;
        }

        String nextOrEnd() throws InterruptedException {
            Item i = items.poll(120, TimeUnit.SECONDS);
            if (i == null) {
                throw new IllegalStateException("no log event for 120 s");
            }
            lastAt = i.at();
            lastId = i.id();
            return i.text();
        }

        void close() throws Exception {
            body.close();
        }
    }

    static double at(List<Long> sorted, int percentile) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percentile / 100)) / 1e6;
    }

    static HttpRequest request(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return b.build();
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return HTTP.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }
}
