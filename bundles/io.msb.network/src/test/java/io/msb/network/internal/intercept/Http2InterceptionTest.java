package io.msb.network.internal.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.DnsConfig;
import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.TlsConfig;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.RecordingDialerForTests;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 through interception (decision 1309), end to end inside the JVM over real TLS on 127.0.0.1: a guest
 * client (the JDK's HttpClient, or a raw Netty frame client where a test needs exact frames) that trusts only the
 * msb CA, the proxy, and a Netty HTTP/2 server that echoes each request's header fields and body.
 */
class Http2InterceptionTest {
    static final String SECRET = InterceptionTest.SECRET;
    static final String PLACEHOLDER = "$MSB_API_KEY";

    @TempDir
    Path dir;
    Interception interception;
    H2EchoServerForTests upstream;
    final RecordingDialerForTests dialer = new RecordingDialerForTests();
    final List<String> terminations = new CopyOnWriteArrayList<>();
    SandboxIntercept sandbox;
    int port;

    @BeforeEach
    void setUp() throws Exception {
        interception = new Interception(dir.resolve("msb-tls"), List.of());
        upstream = new H2EchoServerForTests(dir.resolve("upstream-ca"));
        port = upstream.port();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (sandbox != null) {
            sandbox.close();
        }
        interception.close();
        upstream.close();
    }

    TlsConfig tls(Path caFile) {
        return new TlsConfig(true, List.of(port), List.of(), true, true,
                List.of(caFile.toString()), List.of(), List.of(), null, null, 100, 24);
    }

    void attach(NetworkPolicy policy, SecretsConfig secrets, boolean strict) {
        attach(policy, tls(upstream.caFile), secrets, strict);
    }

    void attach(NetworkPolicy policy, TlsConfig tls, SecretsConfig secrets, boolean strict) {
        NetworkConfig c = new NetworkConfig(true, null, List.of(), policy, new DnsConfig(false, List.of(), 1000), tls,
                secrets, 256, null, false, strict);
        SandboxPolicy p = SandboxPolicy.compile(c, List.of(),
                q -> CompletableFuture.completedFuture(InterceptionTest.pinTo(q)), System::currentTimeMillis);
        sandbox = interception.attach("t", c, p, dialer, terminations::add);
        if (strict) {
            p.dns().answer(InterceptionTest.newQuery("api.test")).join();
        }
    }

    static SecretsConfig apiKey(ViolationAction action, HostPattern... allowed) {
        return new SecretsConfig(List.of(new SecretEntry("API_KEY", SECRET, null, null,
                List.of(allowed.length == 0 ? new HostPattern[] {HostPattern.exact("api.test")} : allowed), null,
                action, true)), null);
    }

    Socket guestSocket() throws IOException {
        SocketChannel ch = sandbox.tcp(new InetSocketAddress(InterceptionTest.LOOPBACK, port),
                InterceptionTest.LOOPBACK);
        ch.configureBlocking(true);
        ch.finishConnect();
        Socket s = ch.socket();
        s.setSoTimeout(20_000);
        return s;
    }

    X509Certificate msbCa() {
        return interception.installationCa().certificate();
    }

    /** A raw HTTP/2 client through the proxy, after checking that h2 was negotiated. */
    H2ClientForTests h2() throws Exception {
        SSLSocket s = InterceptionTest.tlsOver(guestSocket(), "api.test", msbCa());
        assertEquals("h2", s.getApplicationProtocol());
        return new H2ClientForTests(s);
    }

    @Test
    void theSecretReachesAnH2UpstreamInAHeaderAndInBasicAuthOnTwoConcurrentStreams() throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(null), false);
        try (H2ClientForTests c = h2()) {
            String basic = "Basic " + Base64.getEncoder().encodeToString(("user:" + PLACEHOLDER)
                    .getBytes(StandardCharsets.ISO_8859_1));
            c.headers(1, H2ClientForTests.get("/one").method("POST").add("x-key", PLACEHOLDER), false);
            c.headers(3, H2ClientForTests.get("/two").add("authorization", basic), true); // while 1 is open
            H2ClientForTests.Answer two = c.answer(3);
            c.data(1, "hello", true);
            H2ClientForTests.Answer one = c.answer(1);
            assertEquals("200", one.status());
            assertTrue(one.body().contains("x-key: " + SECRET) && one.body().contains(":path: /one")
                    && one.body().endsWith("body: hello"), one.body());
            String expected = "authorization: Basic " + Base64.getEncoder().encodeToString(("user:" + SECRET)
                    .getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(two.body().contains(expected), two.body());
            // the server's HPACK state and ours stay in step over more requests on the connection
            for (int i = 5; i < 25; i += 2) {
                c.headers(i, H2ClientForTests.get("/n" + i).add("x-key", PLACEHOLDER), true);
                assertTrue(c.answer(i).body().contains("x-key: " + SECRET));
            }
        }
    }

    @Test
    void theJdkHttpClientNegotiatesH2ThroughTheProxy() throws Exception {
        // the client dials 127.0.0.1 (the forwarder below, to the guest's flow) and names api.test in SNI: its
        // :authority is then 127.0.0.1, which the entry must allow too (decision 1305)
        attach(NetworkPolicy.allowAll(), apiKey(null, HostPattern.exact("api.test"), HostPattern.exact("127.0.0.1")),
                false);
        try (Forwarder f = new Forwarder()) {
            HttpClient client = jdkClient();
            HttpResponse<String> first = client.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + f.port() + "/first")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, first.version());
            List<CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) { // two streams at once on the connection the first made
                sent.add(client.sendAsync(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + f.port() + "/c" + i))
                        .header("x-key", PLACEHOLDER).header("authorization", "Bearer " + PLACEHOLDER).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> r : sent) {
                HttpResponse<String> response = r.get(20, TimeUnit.SECONDS);
                assertEquals(HttpClient.Version.HTTP_2, response.version());
                assertEquals(200, response.statusCode());
                assertTrue(response.body().contains("x-key: " + SECRET)
                        && response.body().contains("authorization: Bearer " + SECRET), response.body());
            }
            assertEquals(1, f.connections, "all requests on one connection");
        }
    }

    /** The JDK's HTTP/2 client, trusting only the msb CA, sending SNI api.test while it dials 127.0.0.1. */
    HttpClient jdkClient() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", msbCa());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        X509TrustManager pkix = (X509TrustManager) tmf.getTrustManagers()[0];
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new ApiTestOnly(pkix)}, null);
        SSLParameters p = new SSLParameters();
        p.setServerNames(List.of(new SNIHostName("api.test")));
        p.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"}); // without, the client does not offer h2
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).sslContext(ctx).sslParameters(p)
                .connectTimeout(Duration.ofSeconds(20)).build();
    }

    /** Trusts chains from the msb CA whose leaf is for api.test (the client dials an address, not the name). */
    static final class ApiTestOnly extends X509ExtendedTrustManager {
        private final X509TrustManager pkix;

        ApiTestOnly(X509TrustManager pkix) {
            this.pkix = pkix;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            pkix.checkServerTrusted(chain, authType);
            try {
                boolean named = chain[0].getSubjectAlternativeNames().stream()
                        .anyMatch(n -> "api.test".equals(n.get(1)));
                if (!named) {
                    throw new CertificateException("not a certificate for api.test");
                }
            } catch (NullPointerException e) {
                throw new CertificateException("no subject alternative names");
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
                throws CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s)
                throws CertificateException {
            throw new CertificateException("a client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e)
                throws CertificateException {
            throw new CertificateException("a client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return pkix.getAcceptedIssuers();
        }
    }

    /** Accepts on 127.0.0.1 and joins each connection to a new guest flow (as the stack would open it). */
    final class Forwarder implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InterceptionTest.LOOPBACK);
        volatile int connections;

        Forwarder() throws IOException {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        connections++;
                        Socket flow = guestSocket();
                        flow.setSoTimeout(0);
                        copy(client.getInputStream(), flow.getOutputStream(), client, flow);
                        copy(flow.getInputStream(), client.getOutputStream(), client, flow);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "h2-test-forwarder");
            t.setDaemon(true);
            t.start();
        }

        private void copy(InputStream in, OutputStream out, Socket a, Socket b) {
            Thread t = new Thread(() -> {
                try {
                    in.transferTo(out);
                } catch (IOException e) {
                    // either side closed
                } finally {
                    InterceptProxy.closeQuietly(a);
                    InterceptProxy.closeQuietly(b);
                }
            }, "h2-test-copy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void thePathsQueryGetsTheSecretWhenQueryParamsAreOn() throws Exception {
        SecretsConfig query = new SecretsConfig(List.of(new SecretEntry("API_KEY", SECRET, null, null,
                List.of(HostPattern.exact("api.test")), new io.msb.api.network.Injection(true, true, true, false), null,
                true)), null);
        attach(NetworkPolicy.allowAll(), query, false);
        try (H2ClientForTests c = h2()) {
            c.headers(1, H2ClientForTests.get("/q?key=" + PLACEHOLDER + "&x=1"), true);
            H2ClientForTests.Answer a = c.answer(1);
            assertTrue(a.body().contains(":path: /q?key=" + SECRET + "&x=1"), a.body());
        }
    }

    @Test
    void aPlaceholderSplitAcrossHeadersAndContinuationIsSubstituted() throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(null), false);
        try (H2ClientForTests c = h2()) {
            c.splitHeaders(1, H2ClientForTests.get("/split").add("x-key", "Bearer " + PLACEHOLDER), PLACEHOLDER, 5);
            H2ClientForTests.Answer a = c.answer(1);
            assertTrue(a.body().contains("x-key: Bearer " + SECRET), a.body());
        }
    }

    @Test
    void aPlaceholderInDataIsRefusedEvenSplitAcrossFramesAndTheConnectionGoesOn() throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(null), false);
        try (H2ClientForTests c = h2()) {
            c.headers(1, H2ClientForTests.get("/up").method("POST"), false);
            c.data(1, "token=$MSB_A", false);
            c.data(1, "PI_KEY&more", false);
            assertEquals(Http2Error.REFUSED_STREAM.code(), c.answer(1).reset());
            c.data(1, "the rest", true); // the guest may still send on it: it goes nowhere
            c.headers(3, H2ClientForTests.get("/after").method("POST"), false);
            c.data(3, "no placeholder", true);
            H2ClientForTests.Answer after = c.answer(3);
            assertTrue(after.body().contains(":path: /after") && after.body().endsWith("body: no placeholder"),
                    after.body());
        }
        assertTrue(upstream.requests.stream().noneMatch(r -> r.contains(":path: /up")), "never completed upstream");
        assertEquals(0, sandbox.denials(), "an allowed host: refused, not a violation");
        assertEquals(List.of(), terminations);
    }

    @Test
    void aPlaceholderInDataForAHostNotAllowedIsAViolation() throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(ViolationAction.BLOCK_AND_LOG, HostPattern.exact("elsewhere.test")),
                false);
        try (H2ClientForTests c = h2()) {
            c.headers(1, H2ClientForTests.get("/up").method("POST"), false);
            c.data(1, "token=" + PLACEHOLDER, true);
            assertEquals(Http2Error.REFUSED_STREAM.code(), c.answer(1).reset());
        }
        assertEquals(1, sandbox.denials());
    }

    /** A request with a placeholder naming {@code authority} over SNI api.test; the entry allows api.test. */
    H2ClientForTests.Answer toAuthority(ViolationAction action, String authority) throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(action), false);
        try (H2ClientForTests c = h2()) {
            Http2Headers h = H2ClientForTests.get("/x").authority(authority).add("x-key", PLACEHOLDER);
            c.headers(1, h, true);
            H2ClientForTests.Answer a = c.answer(1);
            if (action == null || !action.equals(ViolationAction.BLOCK_AND_TERMINATE)) {
                c.rst(1); // on a stream the server never saw: it must not reach it (a connection error there)
                c.headers(3, H2ClientForTests.get("/next"), true);
                assertEquals("200", c.answer(3).status(), "the connection goes on");
            }
            return a;
        }
    }

    @Test
    void aDisallowedAuthorityIsRefusedOnItsStreamWithBlock() throws Exception {
        H2ClientForTests.Answer a = toAuthority(ViolationAction.BLOCK, "other.test");
        assertEquals("403", a.status());
        assertTrue(a.refusal().contains("API_KEY") && a.refusal().contains("other.test")
                && !a.refusal().contains(SECRET), a.refusal());
        assertTrue(upstream.requests.stream().noneMatch(r -> r.contains(":path: /x")));
        assertEquals(1, sandbox.denials());
        assertEquals(List.of(), terminations);
    }

    @Test
    void aDisallowedAuthorityIsRefusedWithBlockAndLog() throws Exception {
        H2ClientForTests.Answer a = toAuthority(ViolationAction.BLOCK_AND_LOG, "other.test:443");
        assertEquals("403", a.status());
        assertEquals(1, sandbox.denials());
    }

    @Test
    void aDisallowedAuthorityWithBlockAndTerminateAsksForTermination() throws Exception {
        H2ClientForTests.Answer a = toAuthority(ViolationAction.BLOCK_AND_TERMINATE, "other.test");
        assertEquals("403", a.status());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (terminations.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of("secret violation requested sandbox termination: API_KEY to other.test"), terminations);
    }

    @Test
    void aPassthroughAuthorityGetsThePlaceholderUnchanged() throws Exception {
        H2ClientForTests.Answer a = toAuthority(new ViolationAction(ViolationAction.Kind.PASSTHROUGH, List.of(HostPattern.exact("other.test"))),
                "other.test");
        assertEquals("200", a.status());
        assertTrue(a.body().contains("x-key: " + PLACEHOLDER) && !a.body().contains(SECRET), a.body());
        assertEquals(0, sandbox.denials());
    }

    @Test
    void aStreamPastTheBoundIsRefusedAndTheConnectionGoesOn() throws Exception {
        attach(NetworkPolicy.allowAll(), apiKey(null), false);
        try (H2ClientForTests c = h2()) {
            int stream = 1;
            for (int i = 0; i < Http2Relay.MAX_STREAMS; i++, stream += 2) {
                c.headers(stream, H2ClientForTests.get("/open" + i).method("POST"), false);
            }
            c.headers(stream, H2ClientForTests.get("/one-too-many"), true);
            assertEquals(Http2Error.REFUSED_STREAM.code(), c.answer(stream).reset());
            c.data(1, "done", true);
            assertTrue(c.answer(1).body().endsWith("body: done"));
            c.headers(stream + 2, H2ClientForTests.get("/room-again"), true);
            assertEquals("200", c.answer(stream + 2).status());
        }
    }

    @Test
    void strictRedecidesEachStreamsAuthority() throws Exception {
        attach(InterceptionTest.onlyApiTest(), SecretsConfig.NONE, true);
        try (H2ClientForTests c = h2()) {
            c.headers(1, H2ClientForTests.get("/ok"), true);
            assertEquals("200", c.answer(1).status());
            c.headers(3, H2ClientForTests.get("/fronted").authority("other.test"), true);
            H2ClientForTests.Answer fronted = c.answer(3);
            assertEquals("403", fronted.status());
            assertTrue(fronted.refusal().contains(SandboxIntercept.STRICT_TCP), fronted.refusal());
        }
        assertEquals(1, sandbox.denials());
    }

    @Test
    void anHttp11OnlyUpstreamMakesTheGuestFallBackToHttp11() throws Exception {
        try (TlsEchoServerForTests http11 = new TlsEchoServerForTests(dir.resolve("h1-ca"))) {
            port = http11.port();
            attach(NetworkPolicy.allowAll(), tls(http11.caFile), apiKey(null), false);
            try (SSLSocket s = InterceptionTest.tlsOver(guestSocket(), "api.test", msbCa())) {
                assertEquals("http/1.1", s.getApplicationProtocol());
                String r = InterceptionTest.exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: " + PLACEHOLDER
                        + "\r\n\r\n");
                assertTrue(r.startsWith("HTTP/1.1 200") && r.contains("X-Key: " + SECRET), r);
            }
        }
    }

    @Test
    void theGuestsAlpnOfferIsRestrictedToH2AndHttp11() {
        assertEquals(List.of("h2", "http/1.1"), List.of(SandboxTls.upstreamAlpn(List.of("h2", "spdy/3", "http/1.1"))));
        assertEquals(List.of("http/1.1"), List.of(SandboxTls.upstreamAlpn(List.of())));
        assertEquals(List.of("http/1.1"), List.of(SandboxTls.upstreamAlpn(List.of("acme-tls/1"))));
        assertFalse(List.of(SandboxTls.upstreamAlpn(List.of("http/1.1"))).contains("h2"));
    }
}
