package io.msb.network.internal.intercept;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.Rule;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.TlsConfig;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.RecordingDialerForTests;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Interception end to end inside the JVM, over real TLS on 127.0.0.1 only: a "guest" client that trusts only the
 * msb CA, the proxy, and an upstream TLS server whose certificate is from a throwaway CA and which echoes each
 * request head it gets.
 */
class InterceptionTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final String SECRET = "real-secret-42";

    @TempDir
    Path dir;
    Interception interception;
    TlsEchoServerForTests upstream;
    CertificateAuthority upstreamCa;
    Path upstreamCaFile;
    final RecordingDialerForTests dialer = new RecordingDialerForTests();
    final List<String> terminations = new CopyOnWriteArrayList<>();
    SandboxIntercept sandbox;

    @BeforeEach
    void setUp() throws Exception {
        interception = new Interception(dir.resolve("msb-tls"), List.of());
        upstream = new TlsEchoServerForTests(dir.resolve("upstream-ca"));
        upstreamCa = upstream.ca;
        upstreamCaFile = upstream.caFile;
    }

    @AfterEach
    void tearDown() throws IOException {
        if (sandbox != null) {
            sandbox.close();
        }
        interception.close();
        upstream.close();
    }

    static String readHead(InputStream in) throws IOException {
        return TlsEchoServerForTests.readHead(in);
    }

    static SecretsConfig apiKey(ViolationAction action) {
        return new SecretsConfig(List.of(new SecretEntry("API_KEY", SECRET, null, null,
                List.of(HostPattern.exact("api.test")), null, action, true)), null);
    }

    TlsConfig tls() {
        return new TlsConfig(true, List.of(upstream.port()), List.of(), true, true,
                List.of(upstreamCaFile.toString()), List.of(), List.of(), null, null, 100, 24);
    }

    void attach(NetworkPolicy policy, TlsConfig tls, SecretsConfig secrets, boolean strict) {
        NetworkConfig c = new NetworkConfig(true, null, List.of(), policy, new DnsConfig(false, List.of(), 1000), tls,
                secrets, 256, null, false, strict);
        SandboxPolicy p = SandboxPolicy.compile(c, List.of(), q -> CompletableFuture.completedFuture(pinTo(q)),
                System::currentTimeMillis);
        sandbox = interception.attach("t", c, p, dialer, terminations::add);
        if (strict) {
            p.dns().answer(newQuery("api.test")).join(); // api.test → 127.0.0.1
        }
    }

    static byte[] newQuery(String name) {
        return Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromConstantString(name + "."), Type.A, DClass.IN))
                .toWire();
    }

    static Message pinTo(Message q) {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.addRecord(q.getQuestion(), Section.QUESTION);
        r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 60, LOOPBACK), Section.ANSWER);
        return r;
    }

    /** The guest's connection to the upstream server's port, as the stack would open it. */
    Socket guestSocket() throws IOException {
        SocketChannel ch = sandbox.tcp(new InetSocketAddress(LOOPBACK, upstream.port()), LOOPBACK);
        ch.configureBlocking(true);
        ch.finishConnect();
        Socket s = ch.socket();
        s.setSoTimeout(20_000);
        return s;
    }

    static SSLSocket tlsOver(Socket raw, String serverName, X509Certificate trusted) throws Exception {
        SSLSocket s = (SSLSocket) TlsForTests.trusting(trusted).getSocketFactory().createSocket(raw, serverName, 443, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    static String exchange(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
        String head = readHead(s.getInputStream());
        if (head == null) {
            return null;
        }
        int at = head.toLowerCase().indexOf("content-length: ");
        int length = Integer.parseInt(head.substring(at + 16, head.indexOf("\r\n", at)));
        return head + new String(s.getInputStream().readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    X509Certificate msbCa() {
        return interception.installationCa().certificate();
    }

    @Test
    void theSecretReachesUpstreamOverInterceptedTlsAndTheGuestSeesTheMsbCa() throws Exception {
        attach(NetworkPolicy.allowAll(), tls(), apiKey(null), false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
            assertEquals("http/1.1", s.getApplicationProtocol());
            X509Certificate[] chain = (X509Certificate[]) s.getSession().getPeerCertificates();
            chain[0].verify(msbCa().getPublicKey());
            String r1 = exchange(s, "GET /one HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer $MSB_API_KEY\r\n\r\n");
            assertTrue(r1.startsWith("HTTP/1.1 200 OK") && r1.contains("Authorization: Bearer " + SECRET), r1);
            String r2 = exchange(s, "GET /two HTTP/1.1\r\nHost: api.test\r\nX-Key: $MSB_API_KEY\r\n\r\n");
            assertTrue(r2.contains("GET /two") && r2.contains("X-Key: " + SECRET), "keep-alive: " + r2);
        }
        assertEquals(List.of(new InetSocketAddress(LOOPBACK, upstream.port())), dialer.asked,
                "upstream is dialled through the sandbox's dialer");
    }

    @Test
    void aPlaceholderForAnotherHostIsRefusedAndTerminationAskedFor() throws Exception {
        SecretsConfig other = new SecretsConfig(List.of(new SecretEntry("API_KEY", SECRET, null, null,
                List.of(HostPattern.exact("elsewhere.test")), null, ViolationAction.BLOCK_AND_TERMINATE, true)), null);
        attach(NetworkPolicy.allowAll(), tls(), other, false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
            String r = exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: $MSB_API_KEY\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 403 Forbidden") && r.contains("API_KEY") && !r.contains(SECRET), r);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (terminations.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10); // asked for right after the guest has its answer
        }
        assertEquals(List.of("secret violation requested sandbox termination: API_KEY to api.test"), terminations);
        assertEquals(1, sandbox.denials());
    }

    @Test
    void anUpstreamFromAnUntrustedCaFailsTheGuestUnlessVerificationIsOffForIt() throws Exception {
        TlsConfig untrusted = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true, List.of(),
                List.of(), List.of(), null, null, 100, 24);
        attach(NetworkPolicy.allowAll(), untrusted, SecretsConfig.NONE, false);
        try (Socket raw = guestSocket()) {
            assertThrows(IOException.class, () -> tlsOver(raw, "api.test", msbCa()), "no data, only a failure");
        }
        sandbox.close();
        TlsConfig unverified = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true, List.of(),
                List.of(), List.of(new TlsConfig.Scoped<>(HostPattern.exact("api.test"), false)), null, null, 100, 24);
        attach(NetworkPolicy.allowAll(), unverified, apiKey(null), false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
            assertTrue(exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: $MSB_API_KEY\r\n\r\n").contains(SECRET));
        }
    }

    @Test
    void aScopedUpstreamCaIsTrustedForItsHostsOnly() throws Exception {
        TlsConfig scoped = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true, List.of(),
                List.of(new TlsConfig.Scoped<>(HostPattern.exact("api.test"), upstreamCaFile.toString())), List.of(),
                null, null, 100, 24);
        attach(NetworkPolicy.allowAll(), scoped, SecretsConfig.NONE, false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
            assertTrue(exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n").startsWith("HTTP/1.1 200"));
        }
    }

    @Test
    void aSandboxsOwnInterceptionCaSignsItsLeaves() throws Exception {
        Path own = dir.resolve("own-ca");
        CertificateAuthority ownCa = CertificateAuthority.inDirectory(own);
        TlsConfig withOwnCa = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true,
                List.of(upstreamCaFile.toString()), List.of(), List.of(),
                own.resolve(CertificateAuthority.CERT_FILE).toString(),
                own.resolve(CertificateAuthority.KEY_FILE).toString(), 100, 24);
        attach(NetworkPolicy.allowAll(), withOwnCa, SecretsConfig.NONE, false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", ownCa.certificate())) {
            s.getSession().getPeerCertificates()[0].verify(ownCa.certificate().getPublicKey());
        }
        assertFalse(Files.exists(dir.resolve("msb-tls")), "the installation's CA is not made for it");
    }

    @Test
    void aBypassedHostSeesTheUpstreamsOwnCertificate() throws Exception {
        TlsConfig bypass = new TlsConfig(true, List.of(upstream.port()), List.of("api.test"), true, true,
                List.of(), List.of(), List.of(), null, null, 100, 24);
        attach(NetworkPolicy.allowAll(), bypass, apiKey(null), false);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", upstreamCa.certificate())) {
            assertEquals(upstreamCa.certificate(), s.getSession().getPeerCertificates()[1]);
            String r = exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\nX-Key: $MSB_API_KEY\r\n\r\n");
            assertTrue(r.contains("X-Key: $MSB_API_KEY"), "bypassed: nothing substituted: " + r);
        }
    }

    // ---- strict

    static NetworkPolicy onlyApiTest() {
        return new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                Rule.egress(Destination.domain("api.test"), Action.ALLOW), NetworkPolicy.allowDns()));
    }

    @Test
    void strictAllowsTheRightServerNameAndDeniesRawIpOrAnotherName() throws Exception {
        attach(onlyApiTest(), tls(), SecretsConfig.NONE, true);
        try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
            assertTrue(exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n").startsWith("HTTP/1.1 200"));
            assertTrue(exchange(s, "GET /old HTTP/1.0\r\n\r\n").startsWith("HTTP/1.1 200"), "the SNI stands for it");
            String fronted = exchange(s, "GET / HTTP/1.1\r\nHost: other.test\r\n\r\n");
            assertTrue(fronted.startsWith("HTTP/1.1 403") && fronted.contains(SandboxIntercept.STRICT_TCP), fronted);
        }
        assertEquals(1, dialer.asked.size());
        try (Socket raw = guestSocket()) {
            assertThrows(IOException.class, () -> tlsOver(raw, "127.0.0.1", msbCa()), "no SNI: raw IP");
        }
        try (Socket raw = guestSocket()) {
            assertThrows(IOException.class, () -> tlsOver(raw, "other.test", msbCa()));
        }
        assertEquals(1, dialer.asked.size(), "refused flows are never dialled");
        assertEquals(3, sandbox.denials());
        assertTrue(sandbox.recentDenials().stream().allMatch(d -> d.startsWith(SandboxIntercept.STRICT_TCP)),
                sandbox.recentDenials().toString());
    }

    @Test
    void strictChecksTheHostOfPlainHttpAndDomainFrontingInsideTls() throws Exception {
        TlsConfig noInterception = TlsConfig.DEFAULT;
        attach(onlyApiTest(), noInterception, SecretsConfig.NONE, true);
        try (ServerSocket plain = new ServerSocket(0, 50, LOOPBACK)) {
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                try (Socket s = plain.accept()) {
                    String head = readHead(s.getInputStream());
                    s.getOutputStream().write("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n".getBytes());
                    return head;
                } catch (IOException e) {
                    return e.toString();
                }
            });
            InetSocketAddress to = new InetSocketAddress(LOOPBACK, plain.getLocalPort());
            try (Socket s = open(to)) {
                String r = exchange(s, "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n");
                assertTrue(r.startsWith("HTTP/1.1 403") && r.contains(SandboxIntercept.STRICT_TCP), r);
            }
            assertEquals(List.of(), dialer.asked, "a refused Host is never dialled");
            try (Socket s = open(to)) {
                assertTrue(exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n").startsWith("HTTP/1.1 204"));
            }
            assertTrue(seen.get(20, TimeUnit.SECONDS).startsWith("GET / HTTP/1.1\r\nHost: api.test"));
            try (Socket s = open(to)) {
                String r = exchange(s, "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n");
                assertTrue(r.contains(SandboxIntercept.STRICT_CONNECT), r);
            }
        }
        assertFalse(sandbox.recentDenials().isEmpty());
        assertEquals(2, sandbox.denials());
    }

    @Test
    void anUpstreamThatCannotBeReachedIsABadGateway() throws Exception {
        attach(onlyApiTest(), TlsConfig.DEFAULT, SecretsConfig.NONE, true);
        int closed;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            closed = probe.getLocalPort();
        }
        try (Socket s = open(new InetSocketAddress(LOOPBACK, closed))) {
            String r = exchange(s, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 502 Bad Gateway"), r);
        }
        try (Socket raw = open(new InetSocketAddress(LOOPBACK, closed))) {
            assertThrows(IOException.class, () -> tlsOver(raw, "api.test", msbCa()), "spliced TLS to nobody");
        }
        assertEquals(0, sandbox.denials(), "allowed names whose server is away are not strict's refusals");
    }

    Socket open(InetSocketAddress to) throws IOException {
        SocketChannel ch = sandbox.tcp(to, LOOPBACK);
        ch.configureBlocking(true);
        ch.finishConnect();
        ch.socket().setSoTimeout(20_000);
        return ch.socket();
    }

    @Test
    void strictLeavesFlowsAllowedWithoutANameAlone() throws Exception {
        NetworkPolicy byAddress = new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                Rule.egress(Destination.cidr("127.0.0.0/8"), Action.ALLOW)));
        attach(byAddress, TlsConfig.DEFAULT, SecretsConfig.NONE, true);
        SandboxPolicy p = sandbox.policy;
        assertFalse(p.needsAuthority(Protocol.TCP, LOOPBACK, 80));
        try (ServerSocket plain = new ServerSocket(0, 50, LOOPBACK); Socket s = open(new InetSocketAddress(LOOPBACK,
                plain.getLocalPort()))) {
            assertTrue(s.isConnected());
            assertEquals(1, dialer.asked.size(), "dialled at once, not inspected");
        }
    }

    @Test
    void quicIsRefusedOnInterceptedPortsOnly() {
        attach(NetworkPolicy.allowAll(), TlsConfig.intercepting(), SecretsConfig.NONE, false);
        assertFalse(sandbox.policy.allowEgress(Protocol.UDP, LOOPBACK, 443));
        assertTrue(sandbox.policy.allowEgress(Protocol.UDP, LOOPBACK, 4433));
        assertTrue(sandbox.policy.allowEgress(Protocol.TCP, LOOPBACK, 443));
        sandbox.close();
        attach(NetworkPolicy.allowAll(), TlsConfig.DEFAULT, SecretsConfig.NONE, false);
        assertTrue(sandbox.policy.allowEgress(Protocol.UDP, LOOPBACK, 443), "no interception: QUIC goes");
    }

    @Test
    void manyInterceptedFlowsLeaveNoSocketsBehindAndDetachClosesOpenOnes() throws Exception {
        attach(NetworkPolicy.allowAll(), tls(), apiKey(null), false);
        try (SSLSocket warm = tlsOver(guestSocket(), "api.test", msbCa())) {
            exchange(warm, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n");
        }
        Thread.sleep(200);
        long before = openSockets();
        for (int i = 0; i < 100; i++) {
            try (SSLSocket s = tlsOver(guestSocket(), "api.test", msbCa())) {
                assertTrue(exchange(s, "GET /" + i + " HTTP/1.1\r\nHost: api.test\r\n\r\n").contains("GET /" + i));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (openSockets() > before + 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(openSockets() <= before + 2, "sockets: " + before + " before, " + openSockets() + " after");
        SSLSocket open = tlsOver(guestSocket(), "api.test", msbCa());
        exchange(open, "GET / HTTP/1.1\r\nHost: api.test\r\n\r\n");
        sandbox.close(); // the sandbox's network goes away
        int got;
        try {
            got = open.getInputStream().read();
        } catch (IOException reset) {
            got = -1;
        }
        assertEquals(-1, got, "the guest's flow is closed");
        open.close();
    }

    static long openSockets() throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    @Test
    void anUnresolvedSecretIsRefusedAtAttach() {
        SecretsConfig unresolved = new SecretsConfig(List.of(apiKey(null).entries().get(0)
                .withSource(io.msb.api.network.SecretSource.store("k"))), null);
        assertThrows(io.msb.api.InvalidConfigException.class,
                () -> attach(NetworkPolicy.allowAll(), tls(), unresolved, false));
    }

    @Test
    void theCaFileIsWhereTheServiceSaysAndItsPemIsServed() throws IOException {
        String pem = interception.installationCa().certificatePem();
        assertEquals(pem, Files.readString(dir.resolve("msb-tls").resolve(CertificateAuthority.CERT_FILE)));
    }
}
