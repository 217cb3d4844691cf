import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slow request bodies against a running msb server (decision 1007): opens N authenticated
 * {@code POST /v1/sandboxes} connections from 127.0.0.1 that announce a 1000-byte body and send one byte
 * every 5 s, and meanwhile times {@code GET /v1/version} on fresh connections. Prints how the slow
 * connections were answered and the probe's latency; a probe that takes longer than 10 s counts as failed.
 * Run: java bench/http/SlowBodies.java [N=220] [SECONDS=40]   (MSB_API_URL, MSB_API_KEY or $MSB_HOME/api-key)
 */
public class SlowBodies {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 220;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 40;
        URI url = URI.create(System.getenv().getOrDefault("MSB_API_URL", "http://127.0.0.1:5555"));
        String key = System.getenv("MSB_API_KEY");
        if (key == null) {
            String home = System.getenv().getOrDefault("MSB_HOME", System.getProperty("user.home") + "/.msb");
            key = Files.readString(Path.of(home, "api-key")).strip();
        }
        String head = "POST /v1/sandboxes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
        List<Socket> slow = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refusedAtOnce = new AtomicInteger();
        AtomicInteger timedOut = new AtomicInteger();
        AtomicInteger otherAnswer = new AtomicInteger();
        AtomicInteger connectFailed = new AtomicInteger();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                try (Socket s = new Socket(url.getHost(), url.getPort())) {
                    slow.add(s);
                    s.setSoTimeout(1000);
                    s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                    long sent = System.nanoTime();
                    while (System.nanoTime() < end) {
                        String status = statusOrNull(s.getInputStream());
                        if (status != null) {
                            (status.contains(" 429 ") ? refusedAtOnce : status.contains(" 408 ") ? timedOut : otherAnswer)
                                    .incrementAndGet();
                            return;
                        }
                        if (System.nanoTime() - sent > 5_000_000_000L) {
                            s.getOutputStream().write(' ');
                            sent = System.nanoTime();
                        }
                    }
                } catch (IOException e) {
                    connectFailed.incrementAndGet();
                }
            });
            t.setDaemon(true);
            t.start();
        }
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        List<Double> millis = new ArrayList<>();
        int failed = 0;
        Thread.sleep(1000); // let the slow connections reach the server first
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(url.resolve("/v1/version"))
                        .timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    millis.add((System.nanoTime() - t0) / 1e6);
                } else {
                    failed++;
                }
            } catch (IOException e) {
                failed++;
            }
            Thread.sleep(200);
        }
        Collections.sort(millis);
        System.out.printf("%d slow-body connections for %d s: %d refused at once (429), %d timed out (408), "
                + "%d other answers, %d still open or cut, %d connect/IO failures%n", n, seconds, refusedAtOnce.get(),
                timedOut.get(), otherAnswer.get(), n - refusedAtOnce.get() - timedOut.get() - otherAnswer.get()
                        - connectFailed.get(), connectFailed.get());
        if (millis.isEmpty()) {
            System.out.printf("GET /v1/version meanwhile: no answer at all (%d failed)%n", failed);
        } else {
            System.out.printf("GET /v1/version meanwhile: n=%d median %.1f ms, p90 %.1f ms, max %.1f ms, %d failed (>10 s or error)%n",
                    millis.size(), pct(millis, 50), pct(millis, 90), millis.get(millis.size() - 1), failed);
        }
        synchronized (slow) {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** The status line if the server has answered, null while it waits (read timeout). */
    static String statusOrNull(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        try {
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    return line.isEmpty() ? "closed" : line.toString();
                }
                line.append((char) c);
            }
            return line.toString();
        } catch (java.net.SocketTimeoutException e) {
            return line.isEmpty() ? null : line.toString();
        }
    }

    static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }
}
