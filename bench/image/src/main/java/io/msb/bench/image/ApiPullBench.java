package io.msb.bench.image;

import static io.msb.bench.image.Bench.print;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.testing.EmbeddedMsb;
import io.msb.testing.LocalRegistry;
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
import java.util.List;
import java.util.Map;

/**
 * A cold pull (empty blob cache, code warm) of the same ~63 MB 3-layer image through a running msb server's
 * {@code POST /v1/images/pull} (its NDJSON progress read line by line, decision 1040) and through the
 * {@code ImageService} of an embedded platform in this JVM (store, image and rootfs bundles, as in the server), rounds alternating, so the two see the same registry and
 * the same machine load. Also the service's pull with a progress consumer that encodes every event as the server
 * does, to show what the progress itself costs. The server: {@code MSB_API_URL}, {@code MSB_API_KEY} (or
 * {@code $MSB_HOME/api-key}). Prints figures; asserts nothing.
 */
public final class ApiPullBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private ApiPullBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        if (!Bench.installed(LocalRegistry.BINARY.toString(), Bench.SKOPEO)) {
            return;
        }
        String url = System.getenv().getOrDefault("MSB_API_URL", "http://127.0.0.1:5555");
        String key = System.getenv("MSB_API_KEY");
        if (key == null) {
            String home = System.getenv().getOrDefault("MSB_HOME", System.getProperty("user.home") + "/.msb");
            key = Files.readString(Path.of(home, "api-key")).strip();
        }
        Path dir = Files.createTempDirectory("msb-api-pull-bench");
        long bytes = Bench.randomImage(dir.resolve("oci"), "1", 30 << 20, 20 << 20, 10 << 20);
        System.out.printf("image: 3 layers, %.1f MB compressed; %d rounds each, alternating%n", bytes / 1e6, rounds);
        try (LocalRegistry registry = LocalRegistry.start(dir); EmbeddedMsb msb = Bench.platform(dir.resolve("svc-0"), "io.msb.rootfs")) {
            ImageReference ref = ImageReference.parse(registry.host() + "/bench/api:1");
            Bench.push(dir.resolve("oci"), "1", ref.text());
            List<Double> api = new ArrayList<>();
            List<Double> service = new ArrayList<>();
            List<Double> serviceEncoding = new ArrayList<>();
            int[] lines = new int[1];
            for (int i = -1; i < rounds; i++) { // round -1 warms both sides up and is not counted
                remove(url, key, ref);
                long t0 = System.nanoTime();
                lines[0] = pullOverApi(url, key, ref);
                record(api, i, t0);

                ImageService images = emptyCache(msb, dir, "svc-" + i);
                t0 = System.nanoTime();
                images.pull(ref, PullPolicy.ALWAYS, null);
                record(service, i, t0);

                images = emptyCache(msb, dir, "enc-" + i);
                t0 = System.nanoTime();
                images.pull(ref, PullPolicy.ALWAYS, event -> event.toString().getBytes(StandardCharsets.UTF_8));
                record(serviceEncoding, i, t0);
            }
            print("API: POST /v1/images/pull (ALWAYS, blobs removed), stream read", api, bytes);
            print("service: ImageService.pull (ALWAYS, empty blob cache)", service, bytes);
            print("service: same, every progress event encoded", serviceEncoding, bytes);
            System.out.printf("progress lines per API pull: %d%n", lines[0]);
        } finally {
            Bench.sh("rm", "-rf", dir.toString());
        }
    }

    private static void record(List<Double> into, int round, long t0) {
        if (round >= 0) {
            into.add(Bench.ms(t0));
        }
    }

    /**
     * The embedded image service on a new, empty cache (the store keeps the record, hence ALWAYS), with the root
     * disk builder on a new one too: the server builds the image's EROFS root during each pull, so this side must.
     */
    private static ImageService emptyCache(EmbeddedMsb msb, Path dir, String name) {
        String cache = dir.resolve(name).toString();
        msb.configure("io.msb.rootfs", Map.of("home", cache));
        msb.service(RootfsBuilder.class, "(home=" + cache + ")");
        msb.configure("io.msb.image", Map.of("home", cache));
        return msb.service(ImageService.class, "(home=" + cache + ")");
    }

    /** Removes the image from the server (its blobs go with it: nothing else uses them); absent is fine. */
    private static void remove(String url, String key, ImageReference ref) throws Exception {
        HTTP.send(request(url, key, "/v1/images/" + ref.text().replace(":", "%3A")).DELETE().build(),
                HttpResponse.BodyHandlers.discarding());
    }

    /** Pulls through the API, reading the progress stream to its last line; returns how many lines came. */
    private static int pullOverApi(String url, String key, ImageReference ref) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(request(url, key, "/v1/images/pull")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"reference\":\"" + ref.text() + "\",\"pull_policy\":\"always\"}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        int count = 0;
        String last = "";
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                count++;
                last = line;
            }
        }
        if (r.statusCode() != 200 || !last.contains("\"type\":\"complete\"")) {
            throw new IllegalStateException("pull answered " + r.statusCode() + ": " + last);
        }
        return count;
    }

    private static HttpRequest.Builder request(String url, String key, String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key);
    }
}
