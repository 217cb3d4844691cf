package io.msb.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.testing.LocalRegistry;
import jakarta.servlet.Servlet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * msb's image routes (decision 1040) against the real image service, store and web stack, pulling from Debian's
 * docker-registry on 127.0.0.1: the pull's progress stream, list, inspect, save, remove, load, prune, and the
 * errors. The test image is two layers of random bytes pushed with umoci and skopeo.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ImageApiIT extends HttpApiTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long[] LAYERS = {3 << 20, 2 << 20};
    private static Path dir;
    private static LocalRegistry registry;
    private static String image;

    @Before
    public void prepare() throws Exception {
        if (registry != null) {
            return;
        }
        for (String tool : List.of("/usr/bin/docker-registry", "/usr/bin/umoci", "/usr/bin/skopeo")) {
            assumeTrue(tool + " is missing (apt-get install docker-registry umoci skopeo)", Files.isExecutable(Path.of(tool)));
        }
        dir = Files.createTempDirectory("msb-image-it");
        registry = LocalRegistry.start(dir);
        // not @AfterClass: the probe runs each test method as its own request, so that would run after the first
        Runtime.getRuntime().addShutdownHook(new Thread(ImageApiIT::stopRegistry));
        image = RegistryImage.push(Files.createDirectories(dir.resolve("image")), registry.host(), "test/layers:1", LAYERS);
        Osgi.eventually("the API answers", () -> send("GET", "/v1/version", null).statusCode() == 200);
    }

    /** Stops the registry and deletes its storage and the test image. */
    private static void stopRegistry() {
        try {
            registry.close();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }

    @Test
    public void aPullStreamsEachLayersProgressThenTheImage() throws Exception {
        send("DELETE", "/v1/images/" + image, null); // its blobs go too: the pull fetches every layer
        HttpResponse<String> pull = send("POST", "/v1/images/pull",
                "{\"reference\":\"" + image + "\",\"pull_policy\":\"always\"}");
        assertEquals(pull.body(), 200, pull.statusCode());
        assertEquals("application/x-ndjson", pull.headers().firstValue("Content-Type").orElse(""));
        List<JsonNode> events = lines(pull.body());
        assertEquals("resolving", events.get(0).get("type").asText());
        JsonNode resolved = events.get(1);
        assertEquals("resolved", resolved.get("type").asText());
        assertEquals(2, resolved.get("layers").asInt());
        Map<String, List<Long>> progress = new HashMap<>();
        for (JsonNode e : events) {
            if (e.get("type").asText().equals("layer")) {
                progress.computeIfAbsent(e.get("digest").asText(), d -> new ArrayList<>()).add(e.get("done_bytes").asLong());
                assertTrue(e.toString(), e.get("done_bytes").asLong() <= e.get("total_bytes").asLong());
            }
        }
        assertEquals("every layer reports: " + progress.keySet(), 2, progress.size());
        JsonNode last = events.get(events.size() - 1);
        assertEquals(last.toString(), "complete", last.get("type").asText());
        JsonNode pulled = last.get("image");
        assertEquals(image, pulled.get("reference").asText());
        for (JsonNode layer : pulled.get("layers")) {
            List<Long> done = progress.get(layer.get("digest").asText());
            assertEquals("the layer's last event is its whole size", layer.get("size").asLong(), (long) done.get(done.size() - 1));
            assertTrue("a layer of MiBs reports along the way: " + done, done.size() > 1);
        }
        long total = 0;
        for (JsonNode layer : pulled.get("layers")) {
            total += layer.get("size").asLong();
        }
        assertEquals(resolved.get("total_bytes").asLong(), total);
        assertEquals(total, pulled.get("size").asLong());
    }

    @Test
    public void aClientThatGoesAwayLeavesThePullToFinish() throws Exception {
        send("DELETE", "/v1/images/" + image, null);
        HttpResponse<InputStream> pull = http.send(HttpApiPlatform.request(context, "POST", "/v1/images/pull",
                "{\"reference\":\"" + image + "\"}", "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, pull.statusCode());
        try (InputStream events = pull.body()) {
            assertTrue(new String(events.readNBytes(20), StandardCharsets.UTF_8).startsWith("{\"type\":\"resolving\""));
        } // gone after the first line
        Osgi.eventually("the pull finishes without its client", () -> send("GET", "/v1/images/" + image, null)
                .statusCode() == 200);
        assertEquals(2, json(send("GET", "/v1/images/" + image, null), 200).get("layers").size());
    }

    @Test
    public void aSavedImageRemovedThenLoadedIsTheSameImage() throws Exception {
        assertEquals(200, send("POST", "/v1/images/pull", "{\"reference\":\"" + image + "\"}").statusCode());
        JsonNode inspected = json(send("GET", "/v1/images/" + image, null), 200);
        assertEquals(image, inspected.get("reference").asText());
        assertEquals(2, inspected.get("layers").size());
        assertTrue(references(json(send("GET", "/v1/images", null), 200)).contains(image));

        HttpResponse<byte[]> saved = http.send(HttpApiPlatform.request(context, "GET", "/v1/images/" + image
                + "/archive?format=docker", null, "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, saved.statusCode());
        assertEquals("application/x-tar", saved.headers().firstValue("Content-Type").orElse(""));
        Path archive = Files.write(dir.resolve("saved.tar"), saved.body());

        assertEquals("image " + image + " removed", json(send("DELETE", "/v1/images/" + image, null), 200)
                .get("message").asText());
        assertEquals("image_not_found", code(send("GET", "/v1/images/" + image, null), 404));
        assertEquals("image_not_found", code(send("DELETE", "/v1/images/" + image, null), 404));
        assertTrue(json(send("POST", "/v1/images/prune", null), 200).get("bytes_freed").asLong() >= 0);

        HttpResponse<String> loaded = http.send(HttpRequest.newBuilder(HttpApiPlatform.uri(context, "/v1/images/load"))
                .header("Authorization", "Bearer " + HttpApiPlatform.KEY).header("Content-Type", "application/x-tar")
                .POST(HttpRequest.BodyPublishers.ofFile(archive)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode images = json(loaded, 200).get("data");
        assertEquals(1, images.size());
        assertEquals(image, images.get(0).get("reference").asText());
        JsonNode again = json(send("GET", "/v1/images/" + image, null), 200);
        assertEquals(inspected.get("layers"), again.get("layers"));
        assertEquals(inspected.get("config_digest"), again.get("config_digest"));
        assertTemporaryFilesGone();
    }

    @Test
    public void ociArchivesAreSavedToo() throws Exception {
        assertEquals(200, send("POST", "/v1/images/pull", "{\"reference\":\"" + image + "\"}").statusCode());
        HttpResponse<byte[]> saved = http.send(HttpApiPlatform.request(context, "GET", "/v1/images/" + image
                + "/archive?format=oci", null, "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, saved.statusCode());
        byte[] tar = saved.body();
        assertTrue("an OCI layout holds oci-layout", new String(tar, StandardCharsets.ISO_8859_1)
                .contains("oci-layout"));
        assertArrayEquals("a tar ends in zero blocks", new byte[1024], java.util.Arrays.copyOfRange(tar, tar.length - 1024, tar.length));
    }

    @Test
    public void badRequestsNameTheFieldAndTheRule() throws Exception {
        HttpResponse<String> badRef = send("POST", "/v1/images/pull", "{\"reference\":\"Not A Ref\"}");
        assertEquals("invalid_request", code(badRef, 400));
        assertTrue(badRef.body(), message(badRef).startsWith("invalid config: reference: \"Not A Ref\" is not a valid image reference"));
        HttpResponse<String> noRef = send("POST", "/v1/images/pull", "{}");
        assertTrue(noRef.body(), message(noRef).startsWith("invalid config: reference: "));
        HttpResponse<String> policy = send("POST", "/v1/images/pull", "{\"reference\":\"" + image
                + "\",\"pull_policy\":\"sometimes\"}");
        assertEquals("invalid_request", code(policy, 400));
        assertEquals("pull_policy: must be one of if_missing, always, never", message(policy));
        HttpResponse<String> unknownField = send("POST", "/v1/images/pull", "{\"reference\":\"" + image + "\",\"tag\":1}");
        assertEquals("tag: unknown field", message(unknownField));
        HttpResponse<String> format = send("GET", "/v1/images/" + image + "/archive?format=zip", null);
        assertEquals("format: must be docker or oci", message(format));
        assertEquals(400, format.statusCode());
        HttpResponse<String> pathRef = send("GET", "/v1/images/UPPER:1", null);
        assertEquals("invalid_request", code(pathRef, 400));
        assertTrue(pathRef.body(), message(pathRef).startsWith("invalid config: reference: "));
        assertEquals("POST", send("GET", "/v1/images/prune", null).headers().firstValue("Allow").orElse(""));
        assertEquals(405, send("PUT", "/v1/images", null).statusCode());
        assertEquals("invalid_api_key", code(http.send(HttpApiPlatform.request(context, "GET", "/v1/images", null, null),
                HttpResponse.BodyHandlers.ofString()), 401));
    }

    @Test
    public void imagesNobodyHasAre404BeforeAnyStreamBegins() throws Exception {
        HttpResponse<String> missing = send("POST", "/v1/images/pull", "{\"reference\":\"" + registry.host()
                + "/test/none:1\"}");
        assertEquals(missing.body(), "image_not_found", code(missing, 404));
        HttpResponse<String> never = send("POST", "/v1/images/pull", "{\"reference\":\"" + registry.host()
                + "/test/none:2\",\"pull_policy\":\"never\"}");
        assertEquals("image_not_found", code(never, 404));
        assertEquals("image_not_found", code(send("GET", "/v1/images/" + registry.host() + "/test/none:1", null), 404));
        assertEquals("image_not_found", code(send("GET", "/v1/images/nothing:1/archive", null), 404));
    }

    @Test
    public void aLoadTooLargeOrNotAnArchiveLeavesNothing() throws Exception {
        HttpResponse<String> garbage = upload(new byte[4096]);
        assertEquals(garbage.body(), "invalid_request", code(garbage, 400));
        assertTrue(garbage.body(), message(garbage).startsWith("request body: "));
        assertEquals(415, send("POST", "/v1/images/load", "{}").statusCode());
        ConfigurationAdmin admin = Osgi.service(context, ConfigurationAdmin.class);
        Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxImageArchiveMib", 1));
        try {
            Osgi.service(context, Servlet.class, "(maxImageArchiveMib=1)");
            Osgi.eventually("the reconfigured API answers", () -> send("GET", "/v1/version", null).statusCode() == 200);
            // announced too large: refused before the body is read (the client asked to wait for a 100 Continue)
            String declared = rawLoad("Content-Length: " + ((1 << 20) + 1) + "\r\nExpect: 100-continue\r\n", 0);
            assertTrue(declared, declared.startsWith("HTTP/1.1 413 "));
            assertTrue(declared, declared.contains("at most 1048576 bytes"));
            // chunked, so only the bytes tell: refused once they pass the limit
            String chunked = rawLoad("Transfer-Encoding: chunked\r\n", 2 << 20);
            assertTrue(chunked, chunked.startsWith("HTTP/1.1 413 "));
            assertTemporaryFilesGone();
        } finally {
            Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxImageArchiveMib", 16_384));
            Osgi.service(context, Servlet.class, "(maxImageArchiveMib=16384)");
            Osgi.eventually("the API answers again", () -> send("GET", "/v1/version", null).statusCode() == 200);
        }
    }

    /**
     * A load over a plain socket, {@code chunkedBytes} sent in chunks (0: none): the server may answer before the body
     * is through, which java.net.http reports as a failed send. Returns the answer's head and body.
     */
    private String rawLoad(String headers, int chunkedBytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", HttpApiPlatform.port(context))) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/images/load HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + HttpApiPlatform.KEY
                    + "\r\nContent-Type: application/x-tar\r\n" + headers + "\r\n").getBytes(StandardCharsets.US_ASCII));
            try {
                byte[] chunk = new byte[64 << 10];
                for (int sent = 0; sent < chunkedBytes; sent += chunk.length) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                if (chunkedBytes > 0) {
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
            } catch (IOException answeredAndClosed) {
                // the answer is already on its way
            }
            return answer(socket.getInputStream());
        }
    }

    /** The head and the Content-Length body of an HTTP answer (the connection may stay open). */
    private static String answer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
        return head + new String(body, StandardCharsets.UTF_8);
    }

    private HttpResponse<String> upload(byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(HttpApiPlatform.uri(context, "/v1/images/load"))
                .header("Authorization", "Bearer " + HttpApiPlatform.KEY).header("Content-Type", "application/x-tar")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void assertTemporaryFilesGone() throws IOException {
        Path tmp = HttpApiPlatform.home(context).resolve("tmp");
        if (Files.isDirectory(tmp)) {
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals("no archive is left in " + tmp, List.of(), left.toList());
            }
        }
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpApiPlatform.request(context, method, path, body, "Bearer " + HttpApiPlatform.KEY),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> lines(String ndjson) throws IOException {
        List<JsonNode> events = new ArrayList<>();
        for (String line : ndjson.split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    private static List<String> references(JsonNode list) {
        List<String> refs = new ArrayList<>();
        list.get("data").forEach(i -> refs.add(i.get("reference").asText()));
        return refs;
    }

    private static JsonNode json(HttpResponse<String> r, int status) throws IOException {
        assertEquals(r.body(), status, r.statusCode());
        return JSON.readTree(r.body());
    }

    private static String code(HttpResponse<String> r, int status) throws IOException {
        return json(r, status).path("error").path("code").asText();
    }

    private static String message(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body()).path("error").path("message").asText();
    }
}
