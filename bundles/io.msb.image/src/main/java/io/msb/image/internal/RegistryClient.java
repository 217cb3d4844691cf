package io.msb.image.internal;

import io.msb.api.MsbException;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.image.RegistryUnreachableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The OCI distribution protocol, read side: manifests and blobs, with anonymous, Bearer-token and Basic auth.
 * Redirects are followed by hand so that credentials never travel to another host.
 */
final class RegistryClient {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_TOKEN_BYTES = 1 << 20;
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final ImageSettings settings;
    private final Credentials credentials;
    private final HttpClient verified;
    private final HttpClient unverified;
    /** registry + scope → Authorization header value that worked last time. */
    private final Map<String, String> authCache = new ConcurrentHashMap<>();
    /** registry → the endpoint base that answered last time, so loopback registries skip the HTTPS probe. */
    private final Map<String, URI> workingEndpoint = new ConcurrentHashMap<>();

    RegistryClient(ImageSettings settings, Credentials credentials) {
        this.settings = settings;
        this.credentials = credentials;
        this.verified = client(trustManager(settings.caCertificates()));
        this.unverified = client(new TrustAll());
    }

    /** A response whose body the caller must close. */
    record Opened(HttpResponse<InputStream> response, URI uri) implements AutoCloseable {
        int status() {
            return response.statusCode();
        }

        InputStream body() {
            return response.body();
        }

        @Override
        public void close() {
            try {
                response.body().close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    record Manifest(byte[] body, String contentType, String digest) {
    }

    /** Fetches a manifest by tag or digest; a digest reference is verified against the body. */
    Manifest manifest(ImageReference ref, String tagOrDigest) {
        try (Opened r = get(ref, "/manifests/" + tagOrDigest, Map.of("Accept", Manifests.ACCEPT), -1)) {
            if (r.status() == 404) {
                throw new ImageNotFoundException("image manifest", ref.registry() + "/" + ref.repository() + ":" + tagOrDigest);
            }
            expectOk(r, "manifest " + tagOrDigest);
            byte[] body = readBounded(r.body(), Manifests.MAX_MANIFEST_BYTES, "manifest " + tagOrDigest);
            String digest = Digests.of(body);
            if (tagOrDigest.startsWith("sha256:") && !digest.equals(tagOrDigest)) {
                throw new MsbException("manifest " + tagOrDigest + " from " + ref.registry() + " has digest " + digest);
            }
            String header = r.response().headers().firstValue("Docker-Content-Digest").orElse(null);
            if (header != null && Digests.isValid(header) && !header.equals(digest)) {
                throw new MsbException("manifest " + tagOrDigest + " from " + ref.registry()
                        + " does not match its Docker-Content-Digest " + header);
            }
            return new Manifest(body, r.response().headers().firstValue("Content-Type").orElse(""), digest);
        } catch (IOException e) {
            throw new RegistryUnreachableException(ref.registry(), "cannot reach registry " + ref.registry()
                    + " for manifest " + tagOrDigest + ": " + describe(e), e);
        }
    }

    /**
     * What went wrong on the wire, in words: several of the JDK's exceptions (connection refused, for one)
     * carry no message, which used to give "failed: null".
     */
    static String describe(IOException e) {
        String message = e.getMessage();
        String what;
        if (e instanceof java.net.ConnectException) {
            what = "connection refused or unreachable";
        } else if (e instanceof java.net.UnknownHostException) {
            what = "unknown host";
        } else if (e instanceof java.net.http.HttpTimeoutException) {
            what = "timed out";
        } else if (e instanceof javax.net.ssl.SSLException) {
            what = "TLS failed";
        } else {
            what = e.getClass().getSimpleName();
        }
        return message == null || message.isBlank() ? what : what + " (" + message + ")";
    }

    /** Opens a blob from {@code offset} (a Range request when positive); status 200 or 206, else an error. */
    Opened blob(ImageReference ref, String digest, long offset) throws IOException {
        Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
        Opened r = get(ref, "/blobs/" + digest, headers, offset);
        if (r.status() == 200 || r.status() == 206) {
            return r;
        }
        try (r) {
            if (r.status() == 404) {
                throw new ImageNotFoundException("blob", ref.registry() + "/" + ref.repository() + "@" + digest);
            }
            if (r.status() >= 500 || r.status() == 429) {
                throw new IOException("registry answered HTTP " + r.status() + " for blob " + digest); // retryable
            }
            expectOk(r, "blob " + digest);
            return r;
        }
    }

    private Opened get(ImageReference ref, String suffix, Map<String, String> headers, long offset) throws IOException {
        String path = "/v2/" + ref.repository() + suffix;
        String scope = "repository:" + ref.repository() + ":pull";
        IOException last = null;
        List<URI> endpoints = endpoints(ref);
        for (int i = 0; i < endpoints.size(); i++) {
            URI base = endpoints.get(i);
            boolean more = i + 1 < endpoints.size();
            try {
                Opened r = authorized(ref.registry(), base, path, headers, scope);
                if (r.status() == 400 && "http".equals(base.getScheme()) && last != null) {
                    r.close(); // a TLS port answering our plain-HTTP fallback: the HTTPS failure is the real story
                    throw new MsbException("cannot reach registry " + ref.registry() + " over HTTPS (" + last.getMessage()
                            + ") and it refuses plain HTTP; trust its CA with caCertificates or mark it insecure");
                }
                if (more && (r.status() == 404 || r.status() >= 500) && isMirror(ref.registry(), base)) {
                    r.close(); // a mirror that lacks the content: ask the next endpoint
                    continue;
                }
                workingEndpoint.put(ref.registry(), base);
                return r;
            } catch (IOException e) {
                last = e;
                if (!more) {
                    break;
                }
            }
        }
        throw last != null ? last : new IOException("no endpoint for " + ref.registry());
    }

    private boolean isMirror(String registry, URI base) {
        String mirror = settings.mirrors().get(registry);
        return mirror != null && base.equals(mirrorUri(mirror));
    }

    private static URI mirrorUri(String mirror) {
        return URI.create(mirror.endsWith("/") ? mirror.substring(0, mirror.length() - 1) : mirror);
    }

    /** Mirrors first, then the registry over HTTPS, then plain HTTP where Docker allows it (loopback, insecure). */
    List<URI> endpoints(ImageReference ref) {
        String registry = ref.registry();
        List<URI> list = new ArrayList<>();
        String mirror = settings.mirrors().get(registry);
        if (mirror != null) {
            list.add(mirrorUri(mirror));
        }
        String host = registry.equals(ImageReference.DOCKER_HUB) ? "registry-1.docker.io" : registry;
        list.add(URI.create("https://" + host));
        if (plainHttpAllowed(ref)) {
            list.add(URI.create("http://" + host));
        }
        URI known = workingEndpoint.get(registry);
        if (known != null && list.remove(known)) {
            list.add(0, known);
        }
        return list;
    }

    boolean plainHttpAllowed(ImageReference ref) {
        return insecure(ref.registry()) || isLoopback(ref.hostName());
    }

    /** insecureRegistries may name a registry with its port or only its host. */
    private boolean insecure(String registryOrHost) {
        return settings.insecureRegistries().contains(registryOrHost)
                || settings.insecureRegistries().contains(ImageReference.hostName(registryOrHost));
    }

    static boolean isLoopback(String host) {
        if (host.equalsIgnoreCase("localhost") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")) {
            return true;
        }
        if (host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            try {
                return InetAddress.getByName(host).isLoopbackAddress(); // literal: no DNS lookup
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    private Opened authorized(String registry, URI base, String path, Map<String, String> headers, String scope)
            throws IOException {
        String key = registry + " " + scope;
        String auth = authCache.get(key);
        Opened r = send(base, base.resolve(path), headers, auth);
        if (r.status() != 401) {
            return r;
        }
        String challenge = r.response().headers().firstValue("WWW-Authenticate").orElse("");
        r.close();
        if (challenge.isBlank()) {
            throw new MsbException("registry " + registry + " answered HTTP 401 for " + path
                    + " without a WWW-Authenticate challenge");
        }
        auth = authorize(registry, base, challenge, scope);
        r = send(base, base.resolve(path), headers, auth);
        if (r.status() == 401 || r.status() == 403) {
            r.close();
            authCache.remove(key);
            throw new MsbException("registry " + registry + " refused access to " + path
                    + " (HTTP " + r.status() + "): check the credentials for " + registry);
        }
        authCache.put(key, auth);
        return r;
    }

    /** Answers a {@code WWW-Authenticate} challenge with a header value. */
    private String authorize(String registry, URI base, String challenge, String scope) throws IOException {
        String scheme = challenge.trim().split("\\s+", 2)[0];
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(), m.group(2));
        }
        var login = credentials.lookup(registry);
        if (scheme.equalsIgnoreCase("Basic")) {
            return login.orElseThrow(() -> new MsbException("registry " + registry
                    + " requires authentication (Basic) and no credentials are configured for it")).basicHeader();
        }
        if (!scheme.equalsIgnoreCase("Bearer")) {
            throw new MsbException("registry " + registry + " asked for unsupported authentication '" + scheme + "'");
        }
        String realm = params.get("realm");
        if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
            throw new MsbException("registry " + registry + " sent a Bearer challenge without an http(s) realm");
        }
        URI realmUri = URI.create(realm);
        if (realm.startsWith("http://") && !(isLoopback(realmUri.getHost()) || insecure(realmUri.getHost())
                || base.getScheme().equals("http"))) {
            throw new MsbException("token realm " + realm + " is plain HTTP; mark it insecure to allow that");
        }
        StringBuilder query = new StringBuilder();
        if (params.containsKey("service")) {
            query.append("service=").append(URLEncoder.encode(params.get("service"), StandardCharsets.UTF_8));
        }
        String wanted = params.getOrDefault("scope", scope);
        query.append(query.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(wanted, StandardCharsets.UTF_8));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpRequest.Builder req = HttpRequest.newBuilder(tokenUri).timeout(HEADERS_TIMEOUT).GET();
        login.ifPresent(l -> req.header("Authorization", l.basicHeader()));
        HttpResponse<InputStream> resp = call(tokenUri, req.build());
        try (InputStream in = resp.body()) {
            byte[] body = readBounded(in, MAX_TOKEN_BYTES, "token response");
            if (resp.statusCode() != 200) {
                throw new MsbException("token server " + realm + " answered HTTP " + resp.statusCode()
                        + (login.isEmpty() ? " (no credentials configured for " + registry + ")" : ""));
            }
            var json = Manifests.tree(body, "token response");
            String token = json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty() || token.length() > MAX_TOKEN_BYTES || !token.matches("[\\x21-\\x7e]+")) {
                throw new MsbException("token server " + realm + " returned no usable token");
            }
            return "Bearer " + token;
        }
    }

    private Opened send(URI base, URI uri, Map<String, String> headers, String auth) throws IOException {
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).GET();
            headers.forEach(b::header);
            if (auth != null && sameOrigin(base, uri)) {
                b.header("Authorization", auth);
            }
            HttpResponse<InputStream> resp = call(uri, b.build());
            int s = resp.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                String location = resp.headers().firstValue("Location").orElse(null);
                resp.body().close();
                if (location == null || hop >= MAX_REDIRECTS) {
                    throw new MsbException("registry redirect from " + uri + " is missing a Location or loops");
                }
                URI next = uri.resolve(location);
                if (!"https".equals(next.getScheme()) && !("http".equals(next.getScheme())
                        && (isLoopback(next.getHost()) || insecure(next.getHost()) || "http".equals(base.getScheme())))) {
                    throw new MsbException("registry redirected to " + next.getScheme() + "://" + next.getHost()
                            + ", which is not allowed (HTTPS, or plain HTTP to loopback/insecure hosts only)");
                }
                uri = next;
                continue;
            }
            return new Opened(resp, uri);
        }
    }

    private HttpResponse<InputStream> call(URI uri, HttpRequest request) throws IOException {
        HttpClient client = insecure(uri.getHost()) || insecure(uri.getAuthority()) ? unverified : verified;
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MsbException("interrupted while talking to " + uri.getHost(), e);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equals(b.getScheme()) && a.getAuthority().equalsIgnoreCase(b.getAuthority());
    }

    private static void expectOk(Opened r, String what) throws IOException {
        if (r.status() / 100 == 2) {
            return;
        }
        byte[] body = r.body().readNBytes(512);
        String text = new String(body, StandardCharsets.UTF_8).replaceAll("[^\\x20-\\x7e]", " ").trim();
        throw new MsbException("registry answered HTTP " + r.status() + " for " + what + " at " + r.uri()
                + (text.isEmpty() ? "" : ": " + text));
    }

    static byte[] readBounded(InputStream in, int max, String what) throws IOException {
        byte[] body = in.readNBytes(max + 1);
        if (body.length > max) {
            throw new MsbException(what + " is larger than " + max + " bytes");
        }
        return body;
    }

    private static HttpClient client(TrustManager trust) {
        try {
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, new TrustManager[] {trust}, null);
            return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NEVER).sslContext(ssl).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /** The JVM's CAs plus the configured PEM certificates. */
    private static X509TrustManager trustManager(Path extra) {
        try {
            TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            defaults.init((KeyStore) null);
            X509TrustManager jvm = (X509TrustManager) defaults.getTrustManagers()[0];
            if (extra == null) {
                return jvm;
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (X509Certificate ca : jvm.getAcceptedIssuers()) {
                store.setCertificateEntry("jvm-" + n++, ca);
            }
            List<Path> files;
            if (Files.isDirectory(extra)) {
                try (Stream<Path> s = Files.list(extra)) {
                    files = s.filter(p -> p.toString().endsWith(".pem") || p.toString().endsWith(".crt")).sorted().toList();
                }
            } else if (Files.isRegularFile(extra)) {
                files = List.of(extra);
            } else {
                throw Invalid.of("caCertificates", "is neither a file nor a directory: " + extra);
            }
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path f : files) {
                try (InputStream in = Files.newInputStream(f)) {
                    for (var cert : cf.generateCertificates(in)) {
                        store.setCertificateEntry("extra-" + n++, cert);
                    }
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return (X509TrustManager) tmf.getTrustManagers()[0];
        } catch (GeneralSecurityException | IOException e) {
            throw Invalid.of("caCertificates", "cannot be loaded: " + e.getMessage());
        }
    }

    /** For registries marked insecure only, as Docker does: no certificate or host name checks. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
