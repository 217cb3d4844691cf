package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.GuestForTests.GATEWAY;
import static io.msb.network.internal.stack.GuestForTests.IP;
import static io.msb.network.internal.stack.Packets.ACK;
import static io.msb.network.internal.stack.Packets.FIN;
import static io.msb.network.internal.stack.Packets.RST;
import static io.msb.network.internal.stack.Packets.SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.PublishedPort;
import io.msb.api.network.RateLimiter;
import io.msb.network.internal.ConnectionPolicy;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NetStackTest {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int BUFFER = 64 * 1024;

    Path dir;
    EventLoop loop;
    GuestForTests guest;
    NetStack stack;
    RecordingDialerForTests dialer = new RecordingDialerForTests();
    FixedAnswerDnsForTests dns = new FixedAnswerDnsForTests();
    int nextPort = 40000;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("msbnet");
        loop = new EventLoop("net-test");
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

    void start(ConnectionPolicy policy, int maxConnections, List<PublishedPort> ports) throws IOException {
        start(policy, config(maxConnections, ports));
    }

    void start(ConnectionPolicy policy, StackConfig config) throws IOException {
        guest = new GuestForTests(dir.resolve("net.sock"));
        stack = NetStack.start(loop, config, policy, dns, dialer);
        guest.accept();
    }

    StackConfig config(int maxConnections, List<PublishedPort> ports) {
        return new StackConfig(dir.resolve("net.sock"), GuestForTests.MAC, IP, maxConnections, RateLimiter.UNLIMITED,
                ports, BUFFER, 60_000);
    }

    void startAllowingHost() throws IOException {
        start(new AllowListPolicyForTests(NetStack.address(GATEWAY)), 256, List.of());
    }

    GuestTcpForTests flow(int remote, int port, int capacity) {
        return new GuestTcpForTests(guest, nextPort++, remote, port, capacity);
    }

    @Test
    void answersArpForTheGatewayOnly() throws Exception {
        startAllowingHost();
        guest.send(Packets.arp(new byte[] {-1, -1, -1, -1, -1, -1}, GuestForTests.MAC, 1, GuestForTests.MAC, IP,
                new byte[6], IP + 5));
        guest.send(Packets.arp(new byte[] {-1, -1, -1, -1, -1, -1}, GuestForTests.MAC, 1, GuestForTests.MAC, IP,
                new byte[6], GATEWAY));
        GuestForTests.Seen s = guest.expect("ARP reply", f -> f.etherType() == Packets.ETHERTYPE_ARP);
        byte[] f = s.raw();
        assertEquals(2, Packets.u16(f, 14 + 6), "an ARP reply");
        assertEquals(GATEWAY, Packets.i32(f, 14 + 14), "for the gateway, not the other address asked first");
        assertArrayEquals(StackConfig.GATEWAY_MAC, java.util.Arrays.copyOfRange(f, 14 + 8, 14 + 14));
    }

    @Test
    void pingsTheGatewayAndRefusesOtherPingsAtOnce() throws Exception {
        start(new AllowListPolicyForTests(), 256, List.of());
        byte[] body = "ping-body".getBytes();
        guest.send(Packets.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, IP, GATEWAY, 8, 0, 0x12340001, body, 0,
                body.length));
        GuestForTests.Seen s = guest.expect("echo reply", f -> f.proto() == Packets.PROTO_ICMP);
        assertEquals(0, s.icmpType());
        assertEquals(0x12340001, s.seq(), "id and sequence echoed");
        assertArrayEquals(body, s.payload());
        int elsewhere = 0x0a000001; // 10.0.0.1: nothing is sent there
        guest.send(Packets.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, IP, elsewhere, 8, 0, 1, body, 0,
                body.length));
        s = guest.expect("unreachable", f -> f.proto() == Packets.PROTO_ICMP);
        assertEquals(3, s.icmpType());
        assertEquals(13, s.icmpCode());
        assertEquals(elsewhere, s.src());
    }

    @Test
    void rateLimitedStackDelaysButDeliversEverything() throws Exception {
        io.msb.api.network.DirectionLimits tight = new io.msb.api.network.DirectionLimits(
                new io.msb.api.network.RateLimit(20_000, 100, 0), new io.msb.api.network.RateLimit(5, 100, 0));
        StackConfig limited = new StackConfig(dir.resolve("net.sock"), GuestForTests.MAC, IP, 256,
                new RateLimiter(tight, tight), List.of(), BUFFER, 60_000);
        start(new AllowListPolicyForTests(NetStack.address(GATEWAY)), limited);
        byte[] body = new byte[1000];
        for (int i = 0; i < 30; i++) {
            guest.send(Packets.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, IP, GATEWAY, 8, 0, i, body, 0,
                    body.length));
        }
        for (int i = 0; i < 30; i++) {
            int seq = i;
            guest.expect("echo reply " + i, f -> f.proto() == Packets.PROTO_ICMP && f.seq() == seq);
        }
        overLoopback(65535, (c, s) -> {
            byte[] down = random(100_000, 9);
            s.getOutputStream().write(down);
            assertArrayEquals(down, readFromStack(c, down.length), "limited, not lost");
        });
    }

    @Test
    void tcpDataBothWaysThroughTheGatewayToHostLoopback() throws Exception {
        startAllowingHost();
        overLoopback(65535, (c, s) -> {
            byte[] up = random(300_000, 1);
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> readN(s, up.length));
            c.write(up);
            assertArrayEquals(up, got.get(30, TimeUnit.SECONDS));
            byte[] down = random(300_000, 2);
            s.getOutputStream().write(down);
            byte[] received = readFromStack(c, down.length);
            assertArrayEquals(down, received);
        });
        assertEquals(1, stack.counters().connectionsTotal());
        assertEquals(List.of(new InetSocketAddress(LOOPBACK, dialer.asked.get(0).getPort())), dialer.asked,
                "the gateway is the host's loopback");
    }

    @Test
    void slowGuestReaderGetsNothingBeyondItsWindow() throws Exception {
        startAllowingHost();
        overLoopback(8192, (c, s) -> {
            byte[] down = random(1_000_000, 3);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(down);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // the guest's window fills and stays shut while it reads nothing: the stack sends nothing more
            while (c.unreadSize() < 8192) {
                assertTrue(c.step(10), "data arrives until the window is full");
            }
            while (c.step(0.3)) {
                assertEquals(8192, c.unreadSize(), "nothing beyond the window");
            }
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (all.size() < down.length && System.nanoTime() < deadline) {
                all.write(c.take(4096));
                c.step(0.2);
            }
            all.write(c.take(Integer.MAX_VALUE));
            assertArrayEquals(down, all.toByteArray());
            writer.get(10, TimeUnit.SECONDS);
        });
    }

    @Test
    void slowHostReaderClosesTheWindowTheGuestSees() throws Exception {
        startAllowingHost();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            // small kernel buffers on both host sockets, so the stack's own bounded buffer is what fills
            server.setReceiveBufferSize(4096);
            dialer.sendBuffer = 8192;
            overLoopback(server, 65535, (c, s) -> {
                byte[] up = random(2_000_000, 4);
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    try {
                        c.write(up);
                    } catch (IOException | InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                // nobody reads on the host: the stack's window must reach zero and the writer must stall
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!(c.peerWindow == 0 && c.sndUna == c.sndNxt) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(0, c.peerWindow, "the stack advertised a closed window");
                assertFalse(writer.isDone(), "the guest is held back, nothing is buffered without bound");
                assertArrayEquals(up, readN(s, up.length));
                writer.get(60, TimeUnit.SECONDS);
            });
        }
    }

    @Test
    void shortWritesWaitingBehindABusyLinkLeaveAsFewerFullerSegments() throws Exception {
        startAllowingHost();
        overLoopback(65535, (c, s) -> {
            int chunks = 2000;
            byte[] down = random(chunks * 30, 5);
            guest.pause();
            // 30-byte writes the stack reads one by one: frames of them fill the link's socket (a few hundred
            // fit here), then wait in the stack, where the corked rest is merged into full segments
            for (int i = 0; i < chunks; i++) {
                s.getOutputStream().write(down, i * 30, 30);
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
            guest.resume();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            int segments = 0;
            while (all.size() < down.length) {
                int before = c.rcvNxt;
                assertTrue(c.step(10), "data keeps coming (" + all.size() + " of " + down.length + ")");
                segments += c.rcvNxt != before ? 1 : 0;
                all.write(c.take(Integer.MAX_VALUE));
            }
            assertArrayEquals(down, all.toByteArray());
            assertTrue(segments < chunks / 2, segments + " segments for " + chunks + " writes");
        });
    }

    @Test
    void segmentsArrivingInOneReadAreAcknowledgedOnce() throws Exception {
        startAllowingHost();
        overLoopback(65535, (c, s) -> {
            byte[] up = c.burst(10, 1000);
            assertArrayEquals(up, readN(s, up.length));
            int start = c.sndNxt - up.length;
            List<Integer> acks = new java.util.ArrayList<>();
            while (c.sndUna != c.sndNxt) {
                assertTrue(c.step(10), "the burst is acknowledged");
                acks.add(c.sndUna - start);
            }
            assertEquals(List.of(up.length), acks, "one ACK for ten segments taken in one read");
        });
    }

    @Test
    void finBothWaysAndResetFromTheGuest() throws Exception {
        startAllowingHost();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            overLoopback(server, 65535, (c, s) -> {
                c.fin();
                assertEquals(-1, s.getInputStream().read(), "the guest's FIN half-closes the host socket");
                s.getOutputStream().write("bye".getBytes());
                s.shutdownOutput();
                while (!c.finReceived) {
                    assertTrue(c.step(10), "the host's FIN reaches the guest");
                }
                assertArrayEquals("bye".getBytes(), c.take(100));
            });
            waitFor(() -> stack.counters().connectionsOpen() == 0, "the flow is gone after both FINs");

            overLoopback(server, 65535, (r, s) -> {
                r.rst();
                assertThrows(IOException.class, () -> {
                    while (s.getInputStream().read() >= 0) {
                        // a reset shows as an exception, never as an orderly end
                    }
                    throw new AssertionError("read an orderly end, not a reset");
                });
            });
            waitFor(() -> stack.counters().connectionsOpen() == 0, "the flow is gone after the reset");
        }
    }

    @Test
    void hostResetReachesTheGuestAsRst() throws Exception {
        startAllowingHost();
        overLoopback(65535, (c, s) -> {
            s.setSoLinger(true, 0);
            s.close();
            while (!c.reset) {
                assertTrue(c.step(10), "a RST reaches the guest");
            }
        });
    }

    @Test
    void deniedDestinationsAreRefusedAtOnceAndNeverDialled() throws Exception {
        start(new AllowListPolicyForTests(NetStack.address(GATEWAY)), 256, List.of());
        int[] denied = {0x0a000001, 0xa9fea9fe, 0x08080808, 0xc0a80001}; // 10.0.0.1, metadata, public, private
        for (int d : denied) {
            GuestTcpForTests c = flow(d, 80, 65535);
            assertFalse(c.connect(), "TCP to " + Packets.ip(d) + " is reset");
            assertTrue(c.reset);
            guest.udp(d, 5353, 9999, "x".getBytes());
            GuestForTests.Seen s = guest.expect("ICMP unreachable", f -> f.proto() == Packets.PROTO_ICMP);
            assertEquals(3, s.icmpType());
            assertEquals(13, s.icmpCode(), "administratively prohibited");
            assertEquals(d, s.src());
        }
        assertEquals(List.of(), dialer.asked, "no denied address was ever dialled");
        assertEquals(denied.length * 2, stack.counters().denials());
    }

    @Test
    void closedHostPortIsResetNotLeftToTimeOut() throws Exception {
        startAllowingHost();
        GuestTcpForTests c = flow(GATEWAY, freeTcpPort(), 65535);
        assertFalse(c.connect());
        assertTrue(c.reset);
        waitFor(() -> stack.counters().connectionsOpen() == 0, "the refused flow is gone");
    }

    @Test
    void udpRoundTripToHostLoopback() throws Exception {
        startAllowingHost();
        try (DatagramSocket echo = new DatagramSocket(0, LOOPBACK)) {
            CompletableFuture.runAsync(() -> {
                try {
                    DatagramPacket p = new DatagramPacket(new byte[2000], 2000);
                    echo.receive(p);
                    echo.send(new DatagramPacket(("re:" + new String(p.getData(), 0, p.getLength())).getBytes(),
                            p.getLength() + 3, p.getSocketAddress()));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            guest.udp(GATEWAY, 5000, echo.getLocalPort(), "hello".getBytes());
            GuestForTests.Seen s = guest.expect("UDP reply", f -> f.proto() == Packets.PROTO_UDP);
            assertEquals("re:hello", new String(s.payload()));
            assertEquals(GATEWAY, s.src());
            assertEquals(echo.getLocalPort(), s.srcPort());
            assertEquals(5000, s.dstPort());
        }
    }

    @Test
    void dnsToAnyAddressIsAnsweredLocallyFromThatAddress() throws Exception {
        start(new AllowListPolicyForTests(), 256, List.of());
        byte[] query = new byte[] {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1};
        guest.udp(0x01010101, 5353, 53, query);
        GuestForTests.Seen s = guest.expect("DNS reply", f -> f.proto() == Packets.PROTO_UDP);
        assertEquals(0x01010101, s.src(), "the reply comes from the address the guest asked");
        assertEquals(53, s.srcPort());
        assertEquals((byte) 0x81, s.payload()[2]);

        GuestTcpForTests c = flow(0x08080808, 53, 65535);
        assertTrue(c.connect(), "TCP port 53 is accepted for the interceptor");
        byte[] framed = new byte[query.length + 2];
        framed[1] = (byte) query.length;
        System.arraycopy(query, 0, framed, 2, query.length);
        c.write(framed);
        while (c.unreadSize() < framed.length) {
            assertTrue(c.step(10), "a DNS reply over TCP");
        }
        byte[] reply = c.take(1000);
        assertEquals(query.length, reply[1]);
        assertEquals((byte) 0x81, reply[4]);
        assertEquals(List.of(), dialer.asked, "DNS is never dialled");
        assertEquals(2, dns.queries.size());
    }

    @Test
    void maxConnectionsRefusesTheNextFlow() throws Exception {
        start(new AllowListPolicyForTests(NetStack.address(GATEWAY)), 2, List.of());
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            GuestTcpForTests a = flow(GATEWAY, server.getLocalPort(), 65535);
            GuestTcpForTests b = flow(GATEWAY, server.getLocalPort(), 65535);
            GuestTcpForTests c = flow(GATEWAY, server.getLocalPort(), 65535);
            assertTrue(a.connect());
            assertTrue(b.connect());
            assertFalse(c.connect(), "the third flow is over max_connections");
            assertEquals(1, stack.counters().denials());
            assertEquals(2, stack.counters().connectionsOpen());
            a.rst();
            waitFor(() -> stack.counters().connectionsOpen() == 1, "a reset frees a slot");
            assertTrue(flow(GATEWAY, server.getLocalPort(), 65535).connect());
        }
    }

    @Test
    void thousandSequentialConnectionsLeakNoSocketsOrThreads() throws Exception {
        startAllowingHost();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 1000; i++) {
                    try (Socket s = server.accept()) {
                        s.getOutputStream().write('k');
                        s.shutdownOutput();
                        while (s.getInputStream().read() >= 0) {
                            // until the guest's FIN
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            long fds = 0;
            int threads = 0;
            for (int i = 0; i < 1000; i++) {
                if (i == 10) {
                    // after a warm-up: the JDK opens a socket once, lazily, on first use of some paths
                    waitFor(() -> stack.counters().connectionsOpen() == 0, "warm-up flows closed");
                    fds = openFiles();
                    threads = Thread.activeCount();
                }
                GuestTcpForTests c = flow(GATEWAY, server.getLocalPort(), 65535);
                assertTrue(c.connect(), "connection " + i);
                while (!c.finReceived) {
                    assertTrue(c.step(10), "connection " + i + " gets data and FIN");
                }
                c.fin();
                while (c.sndUna != c.sndNxt) {
                    assertTrue(c.step(10), "connection " + i + ": our FIN is acknowledged");
                }
            }
            acceptor.get(30, TimeUnit.SECONDS);
            waitFor(() -> stack.counters().connectionsOpen() == 0, "every flow closed");
            assertEquals(1000, stack.counters().connectionsTotal());
            long before = fds;
            waitFor(() -> openFiles() <= before, "no host socket left open (" + before + " before)");
            assertTrue(Thread.activeCount() <= threads, "no thread per connection");
        }
    }

    @Test
    void publishedPortReachesTheGuestPort() throws Exception {
        int hostPort = freeTcpPort();
        start(new AllowListPolicyForTests(), 256, List.of(new PublishedPort(hostPort, 8080, null, null)));
        try (Socket client = new Socket(LOOPBACK, hostPort)) {
            GuestForTests.Seen syn = guest.expect("SYN to the guest's port",
                    f -> f.tcp() && f.has(SYN) && f.dstPort() == 8080);
            assertEquals(GATEWAY, syn.src());
            GuestTcpForTests server = new GuestTcpForTests(guest, 8080, GATEWAY, syn.srcPort(), 65535);
            server.accept(syn);
            client.getOutputStream().write("GET /".getBytes());
            while (server.unreadSize() < 5) {
                assertTrue(server.step(10), "request reaches the guest");
            }
            assertArrayEquals("GET /".getBytes(), server.take(100));
            server.write("200 OK".getBytes());
            assertArrayEquals("200 OK".getBytes(), readN(client, 6));
        }
    }

    @Test
    void publishedUdpPortRoundTrip() throws Exception {
        int hostPort = freeUdpPort();
        start(new AllowListPolicyForTests(), 256,
                List.of(new PublishedPort(hostPort, 5353, PublishedPort.Protocol.UDP, null)));
        try (DatagramSocket client = new DatagramSocket(0, LOOPBACK)) {
            client.setSoTimeout(10_000);
            client.send(new DatagramPacket("query".getBytes(), 5, LOOPBACK, hostPort));
            GuestForTests.Seen in = guest.expect("UDP to the guest's port", f -> f.proto() == Packets.PROTO_UDP);
            assertEquals(5353, in.dstPort());
            assertEquals(GATEWAY, in.src());
            assertEquals("query", new String(in.payload()));
            guest.udp(GATEWAY, 5353, in.srcPort(), "answer".getBytes());
            DatagramPacket p = new DatagramPacket(new byte[100], 100);
            client.receive(p);
            assertEquals("answer", new String(p.getData(), 0, p.getLength()));
        }
    }

    @Test
    void publishedPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> NetStack.start(loop,
                    config(256, List.of(new PublishedPort(taken.getLocalPort(), 80, null, null))),
                    new AllowListPolicyForTests(), dns, dialer));
            assertEquals("ports.host_port", e.field());
            assertTrue(e.getMessage().contains("already in use"), e.getMessage());
        }
    }

    @Test
    void deniedIngressNeverReachesTheGuest() throws Exception {
        int hostPort = freeTcpPort();
        ConnectionPolicy denyAll = new AllowListPolicyForTests() {
            @Override
            public boolean allowIngress(io.msb.network.internal.Protocol p, InetAddress source, int guestPort) {
                return false;
            }
        };
        start(denyAll, 256, List.of(new PublishedPort(hostPort, 8080, null, null)));
        try (Socket client = new Socket(LOOPBACK, hostPort)) {
            client.setSoTimeout(10_000);
            assertThrows(IOException.class, () -> {
                if (client.getInputStream().read() >= 0) {
                    throw new AssertionError("data from a denied connection");
                }
                throw new IOException("closed");
            });
        }
        assertEquals(null, guest.next(0.3), "the guest saw nothing");
        waitFor(() -> stack.counters().denials() == 1, "the denial is counted");
    }

    @Test
    void reconnectsWhenQemuDropsTheSocket() throws Exception {
        startAllowingHost();
        guest.disconnect();
        guest.close();
        guest = new GuestForTests(dir.resolve("net.sock"));
        guest.accept();
        byte[] body = "again".getBytes();
        guest.send(Packets.icmp(StackConfig.GATEWAY_MAC, GuestForTests.MAC, IP, GATEWAY, 8, 0, 7, body, 0, body.length));
        assertEquals(0, guest.expect("echo reply after reconnecting", f -> f.proto() == Packets.PROTO_ICMP).icmpType());
    }

    @Test
    void guestRetransmittedSynGetsTheSameSynAck() throws Exception {
        startAllowingHost();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            guest.tcp(GATEWAY, 33333, server.getLocalPort(), 500, 0, SYN, 65535, null, null);
            GuestForTests.Seen first = guest.expect("SYN-ACK", f -> f.tcp() && f.has(SYN | ACK));
            guest.tcp(GATEWAY, 33333, server.getLocalPort(), 500, 0, SYN, 65535, null, null);
            GuestForTests.Seen again = guest.expect("SYN-ACK again", f -> f.tcp() && f.has(SYN | ACK));
            assertEquals(first.seq(), again.seq());
            // unanswered, the stack sends it again on its own (retransmission timer)
            GuestForTests.Seen retransmitted = guest.expect("retransmitted SYN-ACK", f -> f.tcp() && f.has(SYN | ACK));
            assertEquals(first.seq(), retransmitted.seq());
            guest.tcp(GATEWAY, 33333, server.getLocalPort(), 501, first.seq() + 1, RST, 0, null, null);
        }
    }

    @Test
    void segmentForNoFlowIsReset() throws Exception {
        startAllowingHost();
        guest.tcp(GATEWAY, 34000, 80, 1, 77, ACK, 1000, null, "stray".getBytes());
        GuestForTests.Seen s = guest.expect("RST", f -> f.tcp() && f.has(RST));
        assertEquals(77, s.seq());
        guest.tcp(GATEWAY, 34001, 80, 1, 0, FIN, 1000, null, null);
        s = guest.expect("RST|ACK", f -> f.tcp() && f.has(RST | ACK));
        assertEquals(2, s.ack());
        assertEquals(List.of(), dialer.asked);
    }

    // ---- helpers

    interface FlowTest {
        void run(GuestTcpForTests guest, Socket host) throws Exception;
    }

    /** {@link #overLoopback(ServerSocket, int, FlowTest)} to a server of its own. */
    void overLoopback(int window, FlowTest test) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            overLoopback(server, window, test);
        }
    }

    /**
     * Connects a guest flow with the given receive window through the gateway to server (on the host's
     * loopback) and runs test on its two ends; the host end is closed afterwards.
     */
    void overLoopback(ServerSocket server, int window, FlowTest test) throws Exception {
        GuestTcpForTests c = flow(GATEWAY, server.getLocalPort(), window);
        assertTrue(c.connect());
        try (Socket s = server.accept()) {
            test.run(c, s);
        }
    }

    /** A loopback TCP port nothing listens on (any more). */
    static int freeTcpPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            return probe.getLocalPort();
        }
    }

    /** A loopback UDP port nothing is bound to (any more). */
    static int freeUdpPort() throws IOException {
        try (DatagramSocket probe = new DatagramSocket(0, LOOPBACK)) {
            return probe.getLocalPort();
        }
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] readN(Socket s, int n) {
        try {
            InputStream in = s.getInputStream();
            byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new AssertionError("short read: " + b.length + " of " + n);
            }
            return b;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static byte[] readFromStack(GuestTcpForTests c, int n) throws Exception {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        while (all.size() < n) {
            assertTrue(c.step(10), "data keeps coming (" + all.size() + " of " + n + ")");
            all.write(c.take(Integer.MAX_VALUE));
        }
        return all.toByteArray();
    }

    /** Open sockets of this process (class loading may open jar files meanwhile, so files are not counted). */
    static long openFiles() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(10);
        }
    }

}
