package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.GuestForTests.GATEWAY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.InterfaceConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PublishedPort;
import io.msb.api.spi.NetworkAttachment;
import io.msb.network.internal.NetworkServiceComponent;
import io.msb.network.internal.NetworkServiceConfig;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NetworkServiceComponentTest {
    Path dir;
    NetworkServiceComponent service;
    final RecordingDialerForTests dialer = new RecordingDialerForTests();

    static NetworkServiceConfig config() {
        return config("");
    }

    /** @param tlsDir where the interception CA goes ("" = the msb home's tls/) */
    static NetworkServiceConfig config(String tlsDir) {
        return new NetworkServiceConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return NetworkServiceConfig.class;
            }

            @Override
            public String subnetPool() {
                return "172.16.0.0/12";
            }

            @Override
            public String ipv6Pool() {
                return "fd42:6d73:62::/48";
            }

            @Override
            public int selectorThreads() {
                return 2;
            }

            @Override
            public int maxConnections() {
                return 256;
            }

            @Override
            public long dnsTimeoutMs() {
                return 2000;
            }

            @Override
            public String[] nameservers() {
                return new String[] {"127.0.0.1:9"}; // never asked here: no test resolves a name through it
            }

            @Override
            public int flowBufferKib() {
                return 64;
            }

            @Override
            public int udpIdleSeconds() {
                return 60;
            }

            @Override
            public String tlsDir() {
                return tlsDir;
            }

            @Override
            public String[] upstreamCaCerts() {
                return new String[0];
            }
        };
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("msbnetc");
        service = new NetworkServiceComponent(config(), dialer);
    }

    @AfterEach
    void tearDown() throws IOException {
        service.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    Path sandboxDir(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name));
    }

    @Test
    void interceptionIsWiredAtAttachWithTheCaFromTheConfiguredDirectory() throws Exception {
        service.close();
        Path tls = dir.resolve("tls");
        service = new NetworkServiceComponent(config(tls.toString()), dialer);
        service.attach("plain", sandboxDir("plain"), NetworkConfig.defaults());
        assertFalse(Files.exists(tls), "no CA until a sandbox intercepts");
        NetworkConfig intercepting = new NetworkConfig(true, null, List.of(), null, null,
                io.msb.api.network.TlsConfig.intercepting(), null, 256, null, false, false);
        service.attach("t", sandboxDir("t"), intercepting, reason -> { });
        assertTrue(Files.isRegularFile(tls.resolve("ca.key")));
        assertEquals(Files.readString(tls.resolve("ca.crt")), service.interceptCaPem().orElseThrow());
        assertEquals(List.of(), service.recentDenials("t"));
        assertEquals(0, service.counters("t").orElseThrow().denials());
    }

    @Test
    void attachGivesAStreamAttachmentAndKeepsAddressesAcrossRestarts() throws Exception {
        Path a = sandboxDir("a");
        NetworkAttachment first = service.attach("a", a, NetworkConfig.defaults());
        Map<String, String> p = first.parameters();
        assertEquals("stream", first.kind());
        assertEquals(a.resolve("net.sock").toString(), p.get("path"));
        assertEquals("172.16.0.2/30", p.get("ipv4"));
        assertEquals("172.16.0.1", p.get("gateway"));
        assertEquals("65520", p.get("mtu"), "passt's MTU unless the sandbox sets one (decision 1180)");
        assertEquals("172.16.0.1", p.get("dns"));
        assertEquals("host.microsandbox.internal=172.16.0.1", p.get("hosts"));
        assertEquals("02:00:ac:10:00:02", p.get("mac"));
        assertEquals("fd42:6d73:62::2/64", p.get("ipv6"), "the /64 the IPv4 /30 numbers (decision 1310)");
        assertEquals("fd42:6d73:62::1", p.get("gateway6"));
        assertSame(first, service.attach("a", a, NetworkConfig.defaults()), "re-attach: the same network");
        NetworkAttachment b = service.attach("b", sandboxDir("b"), NetworkConfig.defaults());
        assertNotEquals(p.get("ipv4"), b.parameters().get("ipv4"));

        service.close(); // a server restart
        service = new NetworkServiceComponent(config(), dialer);
        NetworkAttachment again = service.attach("b", sandboxDir("b"), NetworkConfig.defaults());
        assertEquals(b.parameters(), again.parameters(), "the same addresses after a restart");
        assertEquals("172.16.0.2/30", service.attach("a", a, NetworkConfig.defaults()).parameters().get("ipv4"));
    }

    @Test
    void ipv6AddressesFollowTheIpv4BlockOrTheSandboxsSettingsAndSurviveRestarts() throws Exception {
        service.attach("a", sandboxDir("a"), NetworkConfig.defaults());
        Map<String, String> b = service.attach("b", sandboxDir("b"), NetworkConfig.defaults()).parameters();
        assertEquals("172.16.0.6/30", b.get("ipv4"));
        assertEquals("fd42:6d73:62:1::2/64", b.get("ipv6"));
        assertTrue(java.nio.file.Files.readString(dir.resolve("b").resolve("network.properties"))
                .contains("ipv6=fd42\\:6d73\\:62\\:1\\:\\:2"));
        Map<String, String> c = service.attach("c", sandboxDir("c"), new NetworkConfig(true, new InterfaceConfig(null,
                null, null, null, null, io.msb.api.network.Destination.Cidr.parse("fd00:abcd::/32")), List.of(), null,
                null, null, null, 256, null, false, false)).parameters();
        assertEquals("fd00:abcd:0:2::2/64", c.get("ipv6"), "interface.ipv6_pool: the third /30, the third /64");
        assertEquals("fd00:abcd:0:2::1", c.get("gateway6"));
        Map<String, String> d = service.attach("d", sandboxDir("d"), new NetworkConfig(true, new InterfaceConfig(null,
                null, null, null, (java.net.Inet6Address) InetAddress.getByName("fd12:3456::42"), null), List.of(),
                null, null, null, null, 256, null, false, false)).parameters();
        assertEquals("fd12:3456::42/64", d.get("ipv6"));
        assertEquals("fd12:3456::1", d.get("gateway6"));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> service.attach("e",
                sandboxDir("e"), new NetworkConfig(true, new InterfaceConfig(null, null, null, null,
                        (java.net.Inet6Address) InetAddress.getByName("fd12:3456::1"), null), List.of(), null, null,
                        null, null, 256, null, false, false)));
        assertEquals("interface.ipv6_address", e.field());

        service.close(); // a server restart
        service = new NetworkServiceComponent(config(), dialer);
        assertEquals(b, service.attach("b", sandboxDir("b"), NetworkConfig.defaults()).parameters());
    }

    @Test
    void theRealPolicyClassifiesIpv6Destinations() throws Exception {
        Path a = sandboxDir("a");
        Packets6.Addr6 guest6 = new Packets6.Addr6(0xfd42_6d73_0062_0000L, 2);
        Packets6.Addr6 gateway6 = guest6.withInterface(1);
        try (GuestForTests guest = new GuestForTests(a.resolve("net.sock"));
                ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            service.attach("a", a, NetworkConfig.defaults()); // the public profile
            guest.accept();
            int port = host.getLocalPort();
            Packets6.Addr6[] denied = {new Packets6.Addr6(0xfd00_0000_0000_0000L, 1), // ULA: private
                new Packets6.Addr6(0xfe80_0000_0000_0000L, 1), // link-local
                new Packets6.Addr6(0, 1), // loopback
                gateway6}; // host
            int sport = 41000;
            for (Packets6.Addr6 to : denied) {
                guest.send(Packets6.tcp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, guest6, to, sport++, port, 1, 0,
                        Packets.SYN, 65535, null, null, 0, 0));
            }
            for (int i = 0; i < denied.length; i++) {
                guest.expect("RST", f -> f.etherType() == Packets6.ETHERTYPE_IPV6
                        && (f.raw()[14 + 40 + 13] & Packets.RST) != 0);
            }
            assertEquals(List.of(), dialer.asked);
            assertEquals(denied.length, service.counters("a").orElseThrow().denials());

            service.update("a", NetworkPolicy.profile("host"));
            guest.send(Packets6.tcp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, guest6, gateway6, sport, port, 1, 0,
                    Packets.SYN, 65535, null, null, 0, 0));
            host.accept().close();
            assertEquals(List.of(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port)), dialer.asked,
                    "the v6 gateway means the host's 127.0.0.1");
        }
    }

    @Test
    void badInterfaceSettingsAndTakenPortsAreClearErrors() throws Exception {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> service.attach("a",
                sandboxDir("a"), new NetworkConfig(true, new InterfaceConfig(null, 65521, null, null, null, null),
                        List.of(), null, null, null, null, 256, null, false, false)));
        assertEquals("interface.mtu", e.field());
        e = assertThrows(InvalidConfigException.class, () -> service.attach("a", sandboxDir("a"),
                new NetworkConfig(true, new InterfaceConfig(null, null,
                        (java.net.Inet4Address) InetAddress.getByName("10.9.9.1"), null, null, null),
                        List.of(), null, null, null, null, 256, null, false, false)));
        assertEquals("interface.ipv4_address", e.field());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            e = assertThrows(InvalidConfigException.class, () -> service.attach("a", sandboxDir("a"),
                    new NetworkConfig(true, List.of(new PublishedPort(taken.getLocalPort(), 80, null, null)), null,
                            256, null)));
            assertEquals("ports.host_port", e.field());
        }
        // a failed attach gave its address (the pool's first) back: it can be asked for by name
        assertEquals("172.16.0.2/30", service.attach("a", sandboxDir("a"), new NetworkConfig(true,
                new InterfaceConfig(null, null, (java.net.Inet4Address) InetAddress.getByName("172.16.0.2"), null,
                        null, null), List.of(), null, null, null, null, 256, null, false, false))
                .parameters().get("ipv4"));
        assertFalse(service.counters("nobody").isPresent());
    }

    @Test
    void theRealPolicyRefusesAndALiveUpdateAppliesToNewFlows() throws Exception {
        Path a = sandboxDir("a");
        try (GuestForTests guest = new GuestForTests(a.resolve("net.sock"));
                ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            service.attach("a", a, NetworkConfig.defaults()); // the public profile
            guest.accept();
            GuestTcpForTests toPrivate = new GuestTcpForTests(guest, 40001, 0x0a000001, 80, 65535);
            assertFalse(toPrivate.connect(), "private is denied by the public profile");
            GuestTcpForTests toHost = new GuestTcpForTests(guest, 40002, GATEWAY, host.getLocalPort(), 65535);
            assertFalse(toHost.connect(), "the host group is denied by the public profile");
            assertEquals(List.of(), dialer.asked);
            assertEquals(2, service.counters("a").orElseThrow().denials());

            service.update("a", NetworkPolicy.profile("host"));
            GuestTcpForTests allowed = new GuestTcpForTests(guest, 40003, GATEWAY, host.getLocalPort(), 65535);
            assertTrue(allowed.connect(), "after the update the host group is allowed");
            host.accept().close();
            assertEquals(1, dialer.asked.size());
            assertTrue(dialer.asked.get(0).getAddress().isLoopbackAddress());
        }
    }
}
