package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.GuestForTests.GATEWAY;
import static io.msb.network.internal.stack.GuestForTests.IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.DnsConfig;
import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.RateLimiter;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.TlsConfig;
import io.msb.network.internal.intercept.Interception;
import io.msb.network.internal.intercept.SandboxIntercept;
import io.msb.network.internal.intercept.TlsEchoServerForTests;
import io.msb.network.internal.policy.SandboxPolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack's TCP SYN path hands flows to intercepted ports to the proxy and dials every other port itself. */
class InterceptHookTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;
    EventLoop loop;
    GuestForTests guest;
    NetStack stack;
    Interception interception;
    SandboxIntercept intercept;
    final RecordingDialerForTests dialer = new RecordingDialerForTests();

    @BeforeEach
    void setUp() {
        loop = new EventLoop("hook-test");
        interception = new Interception(dir.resolve("tls"), List.of());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
        if (guest != null) {
            guest.close();
        }
        if (intercept != null) {
            intercept.close();
        }
        interception.close();
        loop.close();
    }

    void start(int interceptedPort) throws Exception {
        start(new TlsConfig(true, List.of(interceptedPort), List.of(), true, true, List.of(), List.of(), List.of(),
                null, null, 100, 24), SecretsConfig.NONE);
    }

    void start(TlsConfig tls, SecretsConfig secrets) throws Exception {
        NetworkConfig c = new NetworkConfig(true, null, List.of(), NetworkPolicy.allowAll(),
                new DnsConfig(false, List.of(), 1000), tls, secrets, 256, null, false, false);
        SandboxPolicy policy = SandboxPolicy.compile(c, List.of(NetStack.address(GATEWAY)));
        intercept = interception.attach("hook", c, policy, dialer, reason -> { });
        guest = new GuestForTests(dir.resolve("net.sock"));
        stack = NetStack.start(loop, new StackConfig(dir.resolve("net.sock"), GuestForTests.MAC, IP, 256,
                RateLimiter.UNLIMITED, List.of(), 64 * 1024, 60_000), policy, new FixedAnswerDnsForTests(), intercept);
        guest.accept();
    }

    @Test
    void anInterceptedPortGoesToTheProxyAndOtherPortsStraightOut() throws Exception {
        try (ServerSocket intercepted = new ServerSocket(0, 50, LOOPBACK);
                ServerSocket direct = new ServerSocket(0, 50, LOOPBACK)) {
            start(intercepted.getLocalPort());
            GuestTcpForTests c = new GuestTcpForTests(guest, 40000, GATEWAY, intercepted.getLocalPort(), 65535);
            assertTrue(c.connect());
            assertEquals(List.of(), dialer.asked, "connected to the proxy: nothing dialled before the guest speaks");
            c.write("not tls\n".getBytes());
            try (Socket s = intercepted.accept()) {
                assertEquals("not tls\n", new String(s.getInputStream().readNBytes(8)), "not TLS: spliced unchanged");
            }
            assertEquals(List.of(new InetSocketAddress(LOOPBACK, intercepted.getLocalPort())), dialer.asked);

            GuestTcpForTests d = new GuestTcpForTests(guest, 40001, GATEWAY, direct.getLocalPort(), 65535);
            assertTrue(d.connect());
            assertEquals(new InetSocketAddress(LOOPBACK, direct.getLocalPort()), dialer.asked.get(1),
                    "another port is dialled at the SYN");
            direct.accept().close();
        }
    }

    @Test
    void aSecretReachesUpstreamFromAGuestTlsClientThroughTheStack() throws Exception {
        try (TlsEchoServerForTests upstream = new TlsEchoServerForTests(dir.resolve("upstream-ca"))) {
            SecretsConfig secrets = new SecretsConfig(List.of(SecretEntry.of("API_KEY", "real-secret-42",
                    List.of(HostPattern.exact("api.test")))), null);
            TlsConfig tls = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true,
                    List.of(upstream.caFile.toString()), List.of(), List.of(), null, null, 100, 24);
            start(tls, secrets);
            GuestTcpForTests tcp = new GuestTcpForTests(guest, 40002, GATEWAY, upstream.port(), 256 * 1024);
            assertTrue(tcp.connect());
            GuestTlsForTests client = new GuestTlsForTests(tcp, "api.test",
                    interception.installationCa().certificate());
            client.handshake();
            client.write("GET /via-stack HTTP/1.1\r\nHost: api.test\r\nX-Key: $MSB_API_KEY\r\n\r\n");
            String echoed = client.readUntil("\r\n\r\nGET /via-stack");
            echoed += client.readUntil("\r\n\r\n");
            assertTrue(echoed.contains("X-Key: real-secret-42\r\n"), echoed);
            assertEquals(List.of(new InetSocketAddress(LOOPBACK, upstream.port())), dialer.asked);
        }
    }

    @Test
    void quicToAnInterceptedPortIsRefusedAndCounted() throws Exception {
        start(443);
        guest.udp(GATEWAY, 5000, 443, "quic".getBytes());
        GuestForTests.Seen s = guest.expect("ICMP unreachable", f -> f.proto() == Packets.PROTO_ICMP);
        assertEquals(13, s.icmpCode());
        assertEquals(1, stack.counters().denials());
        assertEquals(List.of(), dialer.asked);
    }
}
