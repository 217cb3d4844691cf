package io.msb.image.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The push half of the distribution API, for tests: monolithic blob upload and manifest PUT, answering Basic and
 * Bearer challenges with the given login.
 */
final class RegistryPusher {
    private final HttpClient http;
    private final String base;
    private final String user;
    private final String password;
    private String authorization;

    RegistryPusher(String host, String user, String password) {
        this.http = HttpClient.newHttpClient();
        this.base = "http://" + host;
        this.user = user;
        this.password = password;
    }

    RegistryPusher(String host) {
        this(host, null, null);
    }

    /** Anonymous pushes through {@code http} to {@code base} (e.g. an HTTPS registry with a test CA). */
    RegistryPusher(HttpClient http, String base) {
        this.http = http;
        this.base = base;
        this.user = null;
        this.password = null;
    }

    void push(String repo, String tag, TestImages.Image image) throws Exception {
        pushBlobs(repo, image);
        putManifest(repo, tag, image.manifest());
    }

    void pushBlobs(String repo, TestImages.Image image) throws Exception {
        blob(repo, image.config().data());
        for (TestImages.Blob l : image.layers()) {
            blob(repo, l.data());
        }
    }

    void pushIndex(String repo, String tag, TestImages.IndexImage index) throws Exception {
        for (TestImages.Image img : index.byPlatform().values()) {
            pushBlobs(repo, img);
            putManifest(repo, img.manifestDigest(), img.manifest());
        }
        putManifest(repo, tag, index.index());
    }

    void blob(String repo, byte[] data) throws Exception {
        HttpResponse<String> start = send(repo, () -> HttpRequest.newBuilder(URI.create(base + "/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        expect(start, 202);
        String location = start.headers().firstValue("Location").orElseThrow();
        URI upload = URI.create(base).resolve(location);
        String sep = upload.getQuery() == null ? "?" : "&";
        URI put = URI.create(upload + sep + "digest=" + URLEncoder.encode(Digests.of(data), StandardCharsets.UTF_8));
        expect(send(repo, () -> HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data))), 201);
    }

    void putManifest(String repo, String ref, TestImages.Blob manifest) throws Exception {
        expect(send(repo, () -> HttpRequest.newBuilder(URI.create(base + "/v2/" + repo + "/manifests/" + ref))
                .header("Content-Type", manifest.mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.data()))), 201);
    }

    private HttpResponse<String> send(String repo, java.util.function.Supplier<HttpRequest.Builder> request)
            throws Exception {
        HttpRequest.Builder b = request.get();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 401 || user == null) {
            return r;
        }
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (challenge.startsWith("Basic")) {
            authorization = basic;
        } else {
            Matcher realm = Pattern.compile("realm=\"([^\"]+)\"").matcher(challenge);
            Matcher service = Pattern.compile("service=\"([^\"]+)\"").matcher(challenge);
            if (!realm.find() || !service.find()) {
                throw new IOException("unexpected challenge " + challenge);
            }
            URI token = URI.create(realm.group(1) + "?service=" + URLEncoder.encode(service.group(1), StandardCharsets.UTF_8)
                    + "&scope=" + URLEncoder.encode("repository:" + repo + ":pull,push", StandardCharsets.UTF_8));
            HttpResponse<InputStream> t = http.send(HttpRequest.newBuilder(token).header("Authorization", basic).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            var json = Manifests.json().readTree(t.body());
            authorization = "Bearer " + json.path("token").asText();
        }
        HttpRequest.Builder again = request.get().header("Authorization", authorization);
        return http.send(again.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(HttpResponse<String> r, int status) throws IOException {
        if (r.statusCode() != status) {
            throw new IOException("push: HTTP " + r.statusCode() + " for " + r.uri() + ": " + r.body());
        }
    }
}
