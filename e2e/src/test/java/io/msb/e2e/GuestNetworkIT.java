package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.protocol.AgentClient;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guest side of the network (issue 12, decisions 0260 and 0830) in a real VM: builtin:busybox booted by the QEMU
 * backend with a {@code stream} attachment whose host side is this test. QEMU listens on the socket, so the guest
 * boots with nobody connected; agentd configures eth0 from the bootstrap; the test then connects, answers the
 * guest's ARP request and ICMP echo with hand-built frames (a round trip through QEMU's framing), disconnects,
 * connects again and gets traffic again. Waits are bounded only to turn a hang into a failure.
 */
@ExtendWith(PlatformExtension.class)
class GuestNetworkIT {
    static final byte[] GUEST_MAC = mac("02:00:ac:10:00:06");
    static final byte[] GATEWAY_MAC = mac("02:00:ac:10:00:05");
    static final byte[] GUEST_IP = {(byte) 172, 16, 0, 6};
    static final byte[] GATEWAY_IP = {(byte) 172, 16, 0, 5};
    static final long GUARD_SECONDS = 180;

    @Test
    void agentdConfiguresEth0AndFramesFlowThroughTheReconnectableSocket(Platform platform) throws Exception {
        VmSpec.Disk root = NetworkedVm.busyboxRoot(platform);
        Path dir = Files.createTempDirectory(platform.home, "net");
        Path socket = dir.resolve("net.sock");
        NetworkAttachment attachment = new NetworkAttachment("stream", Map.of("path", socket.toString(),
                "mac", "02:00:ac:10:00:06", "ipv4", "172.16.0.6/30", "gateway", "172.16.0.5", "mtu", "1400",
                "dns", "172.16.0.5,10.0.0.53", "hosts", "db.test=172.16.0.5"));
        try (NetworkedVm guest = NetworkedVm.boot(platform, "e2e-net", "nettest", dir, root, attachment,
                Duration.ofSeconds(GUARD_SECONDS))) {
            AgentClient agent = guest.agent();
            VmHandle vm = guest.vm();
            // Booted and ready with nobody on the network socket: QEMU does not wait for a client.
            assertEquals("1400\n02:00:ac:10:00:06\n", sh(agent, "cat /sys/class/net/eth0/mtu /sys/class/net/eth0/address"));
            assertTrue(sh(agent, "ip -4 addr show dev eth0").contains("inet 172.16.0.6/30"), vm.consoleTail(20)::toString);
            assertTrue(sh(agent, "ip route").contains("default via 172.16.0.5 dev eth0"));
            assertEquals("nameserver 172.16.0.5\nnameserver 10.0.0.53\n", sh(agent, "cat /etc/resolv.conf"));
            String hosts = sh(agent, "cat /etc/hosts");
            assertTrue(hosts.contains("172.16.0.5\tdb.test\n172.16.0.5\thost.microsandbox.internal\n"), hosts);
            assertTrue(hosts.startsWith("127.0.0.1\tlocalhost\n"), hosts);

            try (Peer peer = new Peer(socket)) {
                pingRoundTrip(agent, peer, true);
            }
            // A restarted network service connects again: QEMU accepts the next client.
            try (Peer peer = new Peer(socket)) {
                pingRoundTrip(agent, peer, false);
            }
        }
    }

    /**
     * The peer pings the guest first: a frame written before QEMU accepted the connection waits in the socket, so
     * the reply proves the connection is up both ways before the guest pings the gateway. The peer answers ARP
     * whenever asked (the guest may still have the entry after a reconnect) and the guest's echo request.
     */
    private static void pingRoundTrip(AgentClient agent, Peer peer, boolean arpExpected) throws Exception {
        boolean sawArp = false;
        peer.send(echoRequest(0x4d53));
        while (true) {
            byte[] f = peer.next();
            if (isArpRequestFromGuest(f)) {
                sawArp = true;
                peer.send(arpReply());
            } else if (isEchoReplyFromGuest(f, 0x4d53)) {
                break;
            }
        }
        CompletableFuture<ExecResult> ping = CompletableFuture.supplyAsync(() -> agent.run(
                ExecOptions.of("/bin/ping", "-c", "1", "-W", "120", "172.16.0.5").build()));
        while (true) {
            byte[] f = peer.next();
            if (isArpRequestFromGuest(f)) {
                sawArp = true;
                peer.send(arpReply());
            } else if (isEchoRequestFromGuest(f)) {
                peer.send(echoReply(f));
                break;
            }
        }
        ExecResult result = ping.get(GUARD_SECONDS, TimeUnit.SECONDS);
        assertEquals(0, result.exit().code(), () -> result.stdoutText() + result.stderrText());
        assertTrue(result.stdoutText().contains("1 packets received"), result.stdoutText());
        if (arpExpected) {
            assertTrue(sawArp, "the guest asks for the gateway's MAC from its own MAC and address first");
        }
    }

    private static String sh(AgentClient agent, String script) {
        ExecResult r = agent.run(ExecOptions.of("/bin/sh", "-c", script).build());
        assertEquals(0, r.exit().code(), () -> script + ": " + r.stderrText());
        return r.stdoutText();
    }

    static boolean isArpRequestFromGuest(byte[] f) {
        return f.length >= 42 && type(f) == 0x0806 && u16(f, 20) == 1
                && java.util.Arrays.equals(f, 6, 12, GUEST_MAC, 0, 6)
                && java.util.Arrays.equals(f, 22, 28, GUEST_MAC, 0, 6)
                && java.util.Arrays.equals(f, 28, 32, GUEST_IP, 0, 4)
                && java.util.Arrays.equals(f, 38, 42, GATEWAY_IP, 0, 4);
    }

    static boolean isEchoRequestFromGuest(byte[] f) {
        return f.length >= 42 && type(f) == 0x0800 && (f[14] & 0xf0) == 0x40 && f[23] == 1
                && java.util.Arrays.equals(f, 0, 6, GATEWAY_MAC, 0, 6)
                && java.util.Arrays.equals(f, 26, 30, GUEST_IP, 0, 4)
                && java.util.Arrays.equals(f, 30, 34, GATEWAY_IP, 0, 4)
                && f[14 + (f[14] & 0x0f) * 4] == 8;
    }

    static boolean isEchoReplyFromGuest(byte[] f, int id) {
        int icmp = 14 + (f.length > 14 ? (f[14] & 0x0f) * 4 : 0);
        return f.length >= icmp + 8 && type(f) == 0x0800 && f[23] == 1
                && java.util.Arrays.equals(f, 26, 30, GUEST_IP, 0, 4)
                && java.util.Arrays.equals(f, 30, 34, GATEWAY_IP, 0, 4)
                && f[icmp] == 0 && u16(f, icmp + 4) == id;
    }

    /** Gateway → guest, ICMP echo request {@code id}. */
    static byte[] echoRequest(int id) {
        return echo(GUEST_MAC, GATEWAY_MAC, GATEWAY_IP, GUEST_IP, id);
    }

    /** An ICMP echo request, sequence 1, 8 bytes of payload, both checksums set. */
    static byte[] echo(byte[] dstMac, byte[] srcMac, byte[] srcIp, byte[] dstIp, int id) {
        byte[] f = new byte[14 + 20 + 8 + 8];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        put16(f, 12, 0x0800);
        f[14] = 0x45;
        put16(f, 16, 20 + 8 + 8);
        f[22] = 64;
        f[23] = 1;
        System.arraycopy(srcIp, 0, f, 26, 4);
        System.arraycopy(dstIp, 0, f, 30, 4);
        put16(f, 24, checksum(f, 14, 20));
        f[34] = 8;
        put16(f, 38, id);
        put16(f, 40, 1);
        System.arraycopy("msb-ping".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, f, 42, 8);
        put16(f, 36, checksum(f, 34, 16));
        return f;
    }

    static byte[] arpReply() {
        ByteBuffer b = ByteBuffer.allocate(60); // the Ethernet minimum, zero padded
        b.put(GUEST_MAC).put(GATEWAY_MAC).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 2);
        b.put(GATEWAY_MAC).put(GATEWAY_IP).put(GUEST_MAC).put(GUEST_IP);
        return b.array();
    }

    /** The request with addresses swapped, type 0 and both checksums recomputed. */
    static byte[] echoReply(byte[] request) {
        byte[] f = request.clone();
        System.arraycopy(GUEST_MAC, 0, f, 0, 6);
        System.arraycopy(GATEWAY_MAC, 0, f, 6, 6);
        int ip = 14;
        int ihl = (f[ip] & 0x0f) * 4;
        int total = u16(f, ip + 2);
        System.arraycopy(GATEWAY_IP, 0, f, ip + 12, 4);
        System.arraycopy(GUEST_IP, 0, f, ip + 16, 4);
        f[ip + 8] = 64;
        f[ip + 10] = 0;
        f[ip + 11] = 0;
        put16(f, ip + 10, checksum(f, ip, ihl));
        int icmp = ip + ihl;
        f[icmp] = 0;
        f[icmp + 2] = 0;
        f[icmp + 3] = 0;
        put16(f, icmp + 2, checksum(f, icmp, total - ihl));
        return f;
    }

    static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            sum += (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) ~sum & 0xffff;
    }

    static int type(byte[] f) {
        return u16(f, 12);
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | b[off + 1] & 0xff;
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >> 8);
        b[off + 1] = (byte) v;
    }

    static byte[] mac(String s) {
        return HexFormat.ofDelimiter(":").parseHex(s);
    }

    /** The host end of QEMU's stream netdev: 4-byte big-endian length, then one Ethernet frame. */
    static final class Peer implements AutoCloseable {
        private final SocketChannel channel;
        private final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        private final Thread reader;

        Peer(Path socket) throws IOException {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
            reader = DaemonThreads.start("net-peer", this::read);
        }

        private void read() {
            try {
                ByteBuffer len = ByteBuffer.allocate(4);
                while (true) {
                    len.clear();
                    fill(len);
                    int n = len.getInt(0);
                    assertTrue(n > 0 && n <= 65536, "frame length " + n);
                    ByteBuffer frame = ByteBuffer.allocate(n);
                    fill(frame);
                    frames.add(frame.array());
                }
            } catch (IOException | AssertionError closed) {
                frames.add(new byte[0]);
            }
        }

        private void fill(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (channel.read(b) < 0) {
                    throw new IOException("closed");
                }
            }
        }

        byte[] next() throws InterruptedException {
            byte[] f = frames.poll(GUARD_SECONDS, TimeUnit.SECONDS);
            assertNotNull(f, "no frame from the guest");
            assertTrue(f.length > 0, "QEMU closed the network socket");
            return f;
        }

        void send(byte[] frame) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    @Test
    void theHandBuiltFramesAreWellFormed() {
        byte[] request = echo(GATEWAY_MAC, GUEST_MAC, GUEST_IP, GATEWAY_IP, 7);
        assertTrue(isEchoRequestFromGuest(request));
        byte[] reply = echoReply(request);
        assertEquals(0, checksum(reply, 14, 20), "IP header checksum verifies");
        assertEquals(0, checksum(reply, 34, 16), "ICMP checksum verifies");
        assertArrayEquals(GUEST_MAC, java.util.Arrays.copyOf(reply, 6));
        assertEquals(0, reply[34]);
        byte[] ours = echoRequest(7);
        assertEquals(0, checksum(ours, 14, 20), "our request's IP header checksum verifies");
        assertEquals(0, checksum(ours, 34, 16), "our request's ICMP checksum verifies");
    }
}
