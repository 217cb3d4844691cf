package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ACK;
import static io.msb.network.internal.stack.Packets.ETH;
import static io.msb.network.internal.stack.Packets.RST;
import static io.msb.network.internal.stack.Packets.SYN;
import static io.msb.network.internal.stack.Packets.i32;
import static io.msb.network.internal.stack.Packets.u16;
import static io.msb.network.internal.stack.Packets6.IP6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.RateLimiter;
import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.stack.Packets6.Addr6;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stack's IPv6 path (decision 1311): neighbour discovery, ping, TCP, UDP and DNS over IPv6. */
class NetStack6Test {
    static final Addr6 GUEST6 = new Addr6(0xfd42_6d73_0062_0000L, 2);
    static final Addr6 GATEWAY6 = GUEST6.withInterface(1);
    static final Addr6 ELSEWHERE = new Addr6(0x2001_0db8_0000_0000L, 5); // documentation range: never dialed
    /** Where the v6 gateway leads on the host: 127.0.0.1, as the IPv4 gateway (decision 1311). */
    static final InetAddress HOST = InetAddress.getLoopbackAddress();

    Path dir;
    EventLoop loop;
    GuestForTests guest;
    NetStack stack;
    final RecordingDialerForTests dialer = new RecordingDialerForTests();
    final FixedAnswerDnsForTests dns = new FixedAnswerDnsForTests();

    /** An IPv6 frame from the stack, its upper-layer checksum verified. */
    record Seen6(byte[] raw, int next, int hops, Addr6 src, Addr6 dst, int t, int tlen) {
        int type() {
            return raw[t] & 0xff;
        }

        int code() {
            return raw[t + 1] & 0xff;
        }

        byte[] body(int from) {
            return java.util.Arrays.copyOfRange(raw, t + from, t + tlen);
        }
    }

    static Seen6 parse6(byte[] f) {
        int ip = ETH;
        assertEquals(0x60, f[ip] & 0xf0, "version 6");
        int plen = u16(f, ip + 4);
        assertEquals(f.length, ETH + IP6 + plen, "payload length");
        int next = f[ip + 6] & 0xff;
        assertEquals(0, Packets6.transportChecksum(f, ip, ip + IP6, plen, next), "upper-layer checksum");
        return new Seen6(f, next, f[ip + 7] & 0xff, Addr6.of(f, ip + 8), Addr6.of(f, ip + 24), ip + IP6, plen);
    }

    Seen6 expect6(String what, Predicate<Seen6> match) throws InterruptedException {
        return parse6(guest.expect(what, s -> s.etherType() == Packets6.ETHERTYPE_IPV6 && match.test(parse6(s.raw())))
                .raw());
    }

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("msbnet6");
        loop = new EventLoop("net6-test");
    }

    @AfterEach
    void tearDown() throws IOException {
        if (stack != null) {
            stack.close();
        }
        if (guest != null) {
            guest.close();
        }
        loop.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    void start(ConnectionPolicy policy) throws IOException {
        guest = new GuestForTests(dir.resolve("net.sock"));
        StackConfig config = new StackConfig(dir.resolve("net.sock"), GuestForTests.MAC, GuestForTests.IP, 256,
                RateLimiter.UNLIMITED, List.of(), 64 * 1024, 60_000, StackConfig.MTU, GUEST6);
        stack = NetStack.start(loop, config, policy, dns, dialer);
        guest.accept();
    }

    static byte[] icmp(Addr6 src, Addr6 dst, int type, int rest, byte[] body) {
        return Packets6.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, src, dst, type, 0, rest, body, 0, body.length);
    }

    static byte[] tcp(Addr6 dst, int sport, int dport, int seq, int ack, int flags, byte[] data) {
        return Packets6.tcp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, GUEST6, dst, sport, dport, seq, ack, flags,
                65535, flags == SYN ? Packets.synOptions(1440, -1) : null, data, 0, data == null ? 0 : data.length);
    }

    static byte[] udp(Addr6 dst, int sport, int dport, byte[] data) {
        return Packets6.udp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, GUEST6, dst, sport, dport, data, 0,
                data.length);
    }

    @Test
    void addressesPrintAsRfc5952() {
        assertEquals("fd42:6d73:62::2", GUEST6.toString());
        assertEquals("::1", new Addr6(0, 1).toString());
        assertEquals("2001:db8::5", ELSEWHERE.toString());
        assertEquals("fd42:6d73:62:1:0:1:0:2", new Addr6(0xfd42_6d73_0062_0001L, 0x0000_0001_0000_0002L).toString());
        assertEquals("fd42:0:0:1::2", new Addr6(0xfd42_0000_0000_0001L, 2).toString());
        assertEquals("::", new Addr6(0, 0).toString());
        assertEquals(GUEST6, Addr6.of(GUEST6.inet()));
    }

    @Test
    void answersNeighbourSolicitationsForTheGatewayOnly() throws Exception {
        start(new AllowListPolicyForTests());
        byte[] nsOther = Packets6.neighborSolicitation(GuestForTests.MAC, GUEST6, GUEST6.withInterface(9));
        byte[] nsGateway = Packets6.neighborSolicitation(GuestForTests.MAC, GUEST6, GATEWAY6);
        byte[] hopLimit64 = nsGateway.clone();
        hopLimit64[ETH + 7] = 64; // not from the link: RFC 4861 drops it
        byte[] dad = Packets6.neighborSolicitation(GuestForTests.MAC, new Addr6(0, 0), GATEWAY6);
        guest.send(nsOther, hopLimit64, dad, nsGateway);
        Seen6 na = expect6("neighbour advertisement", s -> s.next() == Packets6.PROTO_ICMP6);
        assertEquals(Packets6.NEIGHBOR_ADVERTISEMENT, na.type());
        assertEquals(255, na.hops(), "neighbour discovery needs hop limit 255");
        assertEquals(GATEWAY6, na.src());
        assertEquals(GUEST6, na.dst());
        assertEquals(0xe0000000, i32(na.raw(), na.t() + 4), "router, solicited, override");
        assertEquals(GATEWAY6, Addr6.of(na.raw(), na.t() + 8), "the target is the gateway");
        assertEquals(2, na.raw()[na.t() + 24], "target link-layer address option");
        assertArrayEquals(StackConfig.GATEWAY_MAC, java.util.Arrays.copyOfRange(na.raw(), na.t() + 26, na.t() + 32));
        assertArrayEquals(GuestForTests.MAC, java.util.Arrays.copyOfRange(na.raw(), 0, 6));
        assertNull(guest.next(0.3), "one advertisement: the other solicitations are not answered");
    }

    @Test
    void pingsTheGatewayAndRefusesOtherPingsAtOnce() throws Exception {
        start(new AllowListPolicyForTests());
        byte[] body = "ping6-body".getBytes();
        guest.send(icmp(GUEST6, GATEWAY6, Packets6.ECHO_REQUEST, 0x12340001, body));
        Seen6 reply = expect6("echo reply", s -> s.next() == Packets6.PROTO_ICMP6);
        assertEquals(Packets6.ECHO_REPLY, reply.type());
        assertEquals(GATEWAY6, reply.src());
        assertEquals(GUEST6, reply.dst());
        assertEquals(0x12340001, i32(reply.raw(), reply.t() + 4), "id and sequence echoed");
        assertArrayEquals(body, reply.body(8));

        guest.send(icmp(GUEST6, ELSEWHERE, Packets6.ECHO_REQUEST, 1, body));
        Seen6 refused = expect6("unreachable", s -> s.next() == Packets6.PROTO_ICMP6);
        assertEquals(1, refused.type(), "destination unreachable");
        assertEquals(1, refused.code(), "administratively prohibited");
        assertEquals(ELSEWHERE, refused.src());
        assertEquals(ELSEWHERE, Addr6.of(refused.raw(), refused.t() + 8 + 24), "the quoted packet's destination");
        assertEquals(1, stack.counters().denials());
    }

    @Test
    void tcpToTheGatewayIsDialedToTheHostsLoopbackAndOthersAreRefused() throws Exception {
        start(new AllowListPolicyForTests(GATEWAY6.inet()));
        try (ServerSocket host = new ServerSocket(0, 50, HOST)) {
            int port = host.getLocalPort();
            guest.send(tcp(GATEWAY6, 40000, port, 1000, 0, SYN, null));
            Seen6 synAck = expect6("SYN-ACK", s -> s.next() == Packets.PROTO_TCP);
            assertEquals(SYN | ACK, synAck.raw()[synAck.t() + 13] & 0x3f);
            assertEquals(GATEWAY6, synAck.src());
            assertEquals(1001, i32(synAck.raw(), synAck.t() + 8));
            assertEquals(1440, u16(synAck.raw(), synAck.t() + 22), "MSS option: the MTU less 60 bytes of headers");
            assertEquals(List.of(new InetSocketAddress(HOST, port)), dialer.asked);
            assertEquals(List.of(GATEWAY6.inet()), dialer.guestDestinations,
                    "an inspecting dialer (TLS interception, strict) learns the guest's IPv6 destination");
            int theirs = i32(synAck.raw(), synAck.t() + 4) + 1;
            guest.send(tcp(GATEWAY6, 40000, port, 1001, theirs, ACK, "hello6".getBytes()));
            try (Socket s = host.accept()) {
                InputStream in = s.getInputStream();
                assertArrayEquals("hello6".getBytes(), in.readNBytes(6));
                s.getOutputStream().write("world6".getBytes());
                Seen6 data = expect6("data", f -> f.next() == Packets.PROTO_TCP && f.tlen() > 20);
                assertArrayEquals("world6".getBytes(), data.body(20));
                assertEquals(theirs, i32(data.raw(), data.t() + 4));
            }
        }
        guest.send(tcp(ELSEWHERE, 40001, 80, 5000, 0, SYN, null));
        Seen6 rst = expect6("RST", s -> s.next() == Packets.PROTO_TCP && u16(s.raw(), s.t() + 2) == 40001);
        assertEquals(RST | ACK, rst.raw()[rst.t() + 13] & 0x3f);
        assertEquals(ELSEWHERE, rst.src());
        assertEquals(1, dialer.asked.size(), "the refused destination was never dialed");
    }

    @Test
    void udpToTheGatewayGoesToTheHostsLoopbackBothWays() throws Exception {
        start(new AllowListPolicyForTests(GATEWAY6.inet()));
        try (DatagramSocket host = new DatagramSocket(new InetSocketAddress(HOST, 0))) {
            host.setSoTimeout(5000);
            guest.send(udp(GATEWAY6, 40000, host.getLocalPort(), "ping".getBytes()));
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            host.receive(p);
            assertEquals("ping", new String(p.getData(), 0, p.getLength()));
            assertEquals(List.of(new InetSocketAddress(HOST, host.getLocalPort())), dialer.asked);
            host.send(new DatagramPacket("pong".getBytes(), 4, p.getSocketAddress()));
            Seen6 reply = expect6("udp reply", s -> s.next() == Packets.PROTO_UDP);
            assertEquals(GATEWAY6, reply.src());
            assertEquals(host.getLocalPort(), u16(reply.raw(), reply.t()));
            assertEquals(40000, u16(reply.raw(), reply.t() + 2));
            assertArrayEquals("pong".getBytes(), reply.body(8));
            // a datagram as big as IPv4's limit (MTU - 28) is cut to IPv6's (MTU - 48): the frame fits the MTU
            host.send(new DatagramPacket(new byte[1472], 1472, p.getSocketAddress()));
            Seen6 big = expect6("big udp reply", s -> s.next() == Packets.PROTO_UDP);
            assertEquals(ETH + StackConfig.MTU, big.raw().length);
        }
        guest.send(udp(ELSEWHERE, 40002, 9999, "x".getBytes()));
        Seen6 refused = expect6("unreachable", s -> s.next() == Packets6.PROTO_ICMP6);
        assertEquals(1, refused.type());
        assertEquals(1, refused.code());
        assertEquals(1, dialer.asked.size());
    }

    @Test
    void dnsToAnyIpv6AddressIsAnsweredByTheInterceptor() throws Exception {
        start(new AllowListPolicyForTests());
        byte[] query = new byte[] {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
        Addr6 resolver = new Addr6(0x2001_4860_4860_0000L, 0x8888);
        guest.send(udp(resolver, 40000, 53, query));
        Seen6 reply = expect6("dns reply", s -> s.next() == Packets.PROTO_UDP);
        assertEquals(resolver, reply.src());
        assertEquals(53, u16(reply.raw(), reply.t()));
        byte[] answer = reply.body(8);
        assertEquals(query.length, answer.length);
        assertEquals(0x80, answer[2] & 0x80, "the interceptor's answer");
        assertEquals(1, dns.queries.size());

        // over TCP: a length-prefixed query on port 53, never dialed
        guest.send(tcp(resolver, 40001, 53, 7000, 0, SYN, null));
        Seen6 synAck = expect6("SYN-ACK", s -> s.next() == Packets.PROTO_TCP);
        int theirs = i32(synAck.raw(), synAck.t() + 4) + 1;
        byte[] framed = new byte[2 + query.length];
        framed[1] = (byte) query.length;
        System.arraycopy(query, 0, framed, 2, query.length);
        guest.send(tcp(resolver, 40001, 53, 7001, theirs, ACK, framed));
        Seen6 data = expect6("dns over tcp", s -> s.next() == Packets.PROTO_TCP && s.tlen() > 20);
        assertEquals(2 + query.length, data.tlen() - 20);
        assertEquals(2, dns.queries.size());
        assertEquals(List.of(), dialer.asked);
    }

    @Test
    void malformedSpoofedAndUnservedIpv6FramesAreDropped() throws Exception {
        start(new AllowListPolicyForTests(GATEWAY6.inet()));
        byte[] good = udp(GATEWAY6, 40000, 9, "x".getBytes());
        byte[] longer = good.clone();
        Packets.put16(longer, ETH + 4, 200); // payload length beyond the frame
        byte[] badSum = good.clone();
        badSum[badSum.length - 1] ^= 1;
        byte[] noSum = good.clone();
        Packets.put16(noSum, ETH + IP6 + 6, 0);
        byte[] spoofed = Packets6.udp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, GUEST6.withInterface(7), GATEWAY6,
                40000, 9, new byte[1], 0, 1);
        byte[] mapped = udp(new Addr6(0, 0x0000_ffff_7f00_0001L), 40000, 9, "x".getBytes()); // ::ffff:127.0.0.1
        byte[] nat64 = udp(new Addr6(0x0064_ff9b_0000_0000L, 0x7f00_0001L), 40000, 9, "x".getBytes());
        byte[] multicast = udp(new Addr6(0xff02_0000_0000_0000L, 1), 40000, 9, "x".getBytes());
        byte[] self = udp(GUEST6, 40000, 9, "x".getBytes());
        byte[] shortHeader = java.util.Arrays.copyOf(good, ETH + 39);
        byte[] version4 = good.clone();
        version4[ETH] = 0x40;
        byte[] shortNs = Packets6.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, GUEST6, GATEWAY6,
                Packets6.NEIGHBOR_SOLICITATION, 0, 0, new byte[8], 0, 8);
        guest.send(longer, badSum, noSum, spoofed, mapped, nat64, multicast, self, shortHeader, version4, shortNs);
        guest.send(icmp(GUEST6, GATEWAY6, Packets6.ECHO_REQUEST, 0x66, new byte[4]));
        expect6("echo reply after the bad frames", s -> s.next() == Packets6.PROTO_ICMP6);
        assertEquals(List.of(), dialer.asked, "nothing dialed for a dropped frame");
        assertEquals(0, stack.counters().connectionsTotal());
        Random random = new Random(16);
        byte[] ping = icmp(GUEST6, GATEWAY6, Packets6.ECHO_REQUEST, 1, new byte[40]);
        byte[] syn = tcp(GATEWAY6, 40100, 9, 1, 0, SYN, null);
        for (int i = 0; i < 2000; i++) {
            byte[] f = (i % 3 == 0 ? ping : i % 3 == 1 ? syn : good).clone();
            f = java.util.Arrays.copyOf(f, ETH + 1 + random.nextInt(f.length - ETH + 8));
            f[ETH + random.nextInt(f.length - ETH)] ^= (byte) (1 + random.nextInt(255));
            if (f.length > ETH + 6 && random.nextBoolean()) {
                Packets.put16(f, ETH + 4, random.nextInt(65536));
            }
            guest.send(f);
        }
        // a mutation the checksum does not cover (hop limit, flow label, padding) may still be a good frame
        for (InetSocketAddress a : dialer.asked) {
            assertEquals(new InetSocketAddress(HOST, 9), a, "only the gateway's port 9, as the frames asked");
        }
        // the stack is still serving
        while (guest.next(0.2) != null) {
            // skip what the mutations got answered (a still-valid ping, say)
        }
        guest.send(icmp(GUEST6, GATEWAY6, Packets6.ECHO_REQUEST, 0x77, new byte[4]));
        Seen6 reply = expect6("echo reply", s -> s.next() == Packets6.PROTO_ICMP6 && s.type() == Packets6.ECHO_REPLY
                && i32(s.raw(), s.t() + 4) == 0x77);
        assertTrue(reply.tlen() == 12);
    }

    /** NetStackFuzz's oracle without Jazzer: random IPv6 frames straight into fromGuest never throw. */
    @Test
    void randomIpv6FramesNeverThrowOutOfTheStack() throws Exception {
        start(new AllowListPolicyForTests(GATEWAY6.inet()));
        Random random = new Random(61);
        Addr6[] to = {GATEWAY6, ELSEWHERE, new Addr6(0, 0x0000_ffff_7f00_0001L), new Addr6(0xff02L << 48, 1)};
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        loop.execute(() -> {
            try {
                for (int i = 0; i < 20_000; i++) {
                    Addr6 dst = to[random.nextInt(to.length)];
                    byte[] body = new byte[random.nextInt(64)];
                    random.nextBytes(body);
                    byte[] f = switch (random.nextInt(4)) {
                        case 0 -> Packets6.neighborSolicitation(GuestForTests.MAC, GUEST6, dst);
                        case 1 -> icmp(GUEST6, dst, random.nextBoolean() ? Packets6.ECHO_REQUEST : random.nextInt(256),
                                random.nextInt(), body);
                        case 2 -> udp(dst, 40000 + random.nextInt(4), random.nextBoolean() ? 53 : 9, body);
                        default -> Packets6.tcp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, GUEST6, dst,
                                40000 + random.nextInt(8), random.nextBoolean() ? 53 : 9, random.nextInt(),
                                random.nextInt(), random.nextInt(0x40), random.nextInt(65536),
                                random.nextBoolean() ? new byte[] {2, 4, 0, 1, 3, 3} : null, body, 0, body.length);
                    };
                    if (random.nextBoolean()) {
                        f[ETH + random.nextInt(f.length - ETH)] ^= (byte) (1 + random.nextInt(255));
                    }
                    if (random.nextInt(4) == 0) {
                        f = java.util.Arrays.copyOf(f, ETH + random.nextInt(f.length - ETH + 1));
                    }
                    stack.fromGuest(f, 0, f.length);
                }
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        done.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void aStackWithoutIpv6IgnoresIpv6() throws Exception {
        guest = new GuestForTests(dir.resolve("net.sock"));
        stack = NetStack.start(loop, new StackConfig(dir.resolve("net.sock"), GuestForTests.MAC, GuestForTests.IP, 256,
                RateLimiter.UNLIMITED, List.of(), 64 * 1024, 60_000), new AllowListPolicyForTests(), dns, dialer);
        guest.accept();
        guest.send(Packets6.neighborSolicitation(GuestForTests.MAC, GUEST6, GATEWAY6),
                icmp(GUEST6, GATEWAY6, Packets6.ECHO_REQUEST, 1, new byte[4]));
        assertNull(guest.next(0.3));
    }
}
