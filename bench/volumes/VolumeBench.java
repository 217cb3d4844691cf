import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Volume round trips over msb's HTTP API (decision 1214), from one keep-alive HTTP/1.1 client: create, list, delete
 * (ms each, p50/p90 over ROUNDS), then a 100 MiB file written with PUT .../files/content and read back with GET
 * (MiB/s, each of FILE_RUNS). Usage: java VolumeBench.java URL KEY [ROUNDS] [FILE_RUNS]
 */
public final class VolumeBench {
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f-]{36})\"");

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String key = args[1];
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int fileRuns = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Double> create = new ArrayList<>();
        List<Double> list = new ArrayList<>();
        List<Double> delete = new ArrayList<>();
        for (int i = -20; i < rounds; i++) { // 20 unrecorded rounds warm the JIT on both sides
            long t0 = System.nanoTime();
            String body = send(http, json(url, key, "POST", "/v1/volumes", "{\"name\":\"bench-" + (i + 20) + "\"}"));
            long t1 = System.nanoTime();
            send(http, json(url, key, "GET", "/v1/volumes", null));
            long t2 = System.nanoTime();
            Matcher m = ID.matcher(body);
            if (!m.find()) {
                throw new IllegalStateException("no id in " + body);
            }
            send(http, json(url, key, "DELETE", "/v1/volumes/" + m.group(1), null));
            long t3 = System.nanoTime();
            if (i >= 0) {
                create.add((t1 - t0) / 1e6);
                list.add((t2 - t1) / 1e6);
                delete.add((t3 - t2) / 1e6);
            }
        }
        System.out.printf("round trips over %d rounds (ms): create p50 %.2f p90 %.2f | ls (1 volume) p50 %.2f p90 %.2f"
                + " | rm p50 %.2f p90 %.2f%n", rounds, p(create, 50), p(create, 90), p(list, 50), p(list, 90),
                p(delete, 50), p(delete, 90));

        String volume = send(http, json(url, key, "POST", "/v1/volumes", "{\"name\":\"bench-files\"}"));
        Matcher m = ID.matcher(volume);
        m.find();
        String files = "/v1/volumes/" + m.group(1) + "/files/content";
        String path = Base64.getUrlEncoder().withoutPadding().encodeToString("/big.bin".getBytes(StandardCharsets.UTF_8));
        byte[] data = new byte[100 << 20];
        new java.util.Random(1).nextBytes(data);
        for (int r = 0; r < fileRuns; r++) {
            long t0 = System.nanoTime();
            send(http, HttpRequest.newBuilder(URI.create(url + files)).header("Authorization", "Bearer " + key)
                    .header("x-msb-file-path", path).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build());
            long t1 = System.nanoTime();
            HttpResponse<InputStream> read = http.send(HttpRequest.newBuilder(URI.create(url + files))
                    .header("Authorization", "Bearer " + key).header("x-msb-file-path", path).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            long n = 0;
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = read.body()) {
                for (int k; (k = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
                    for (int j = 0; j < k; j++) { // compare, so the bytes are really read back
                        if (buffer[j] != data[(int) n + j]) {
                            throw new IllegalStateException("byte " + (n + j) + " differs");
                        }
                    }
                    n += k;
                }
            }
            long t2 = System.nanoTime();
            if (read.statusCode() != 200 || n != data.length) {
                throw new IllegalStateException("read " + read.statusCode() + ", " + n + " bytes");
            }
            System.out.printf("100 MiB file: write %.0f ms (%.0f MiB/s), read %.0f ms (%.0f MiB/s)%n", (t1 - t0) / 1e6,
                    100 / ((t1 - t0) / 1e9), (t2 - t1) / 1e6, 100 / ((t2 - t1) / 1e9));
        }
    }

    private static HttpRequest json(String url, String key, String method, String path, String body) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static String send(HttpClient http, HttpRequest request) throws Exception {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(request.method() + " " + request.uri() + ": " + r.statusCode() + " "
                    + r.body());
        }
        return r.body();
    }

    private static double p(List<Double> values, int percentile) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
    }
}
