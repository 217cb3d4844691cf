package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ETH;
import static io.msb.network.internal.stack.Packets.i32;
import static io.msb.network.internal.stack.Packets.u16;

import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Java "guest" in QEMU's place: listens on the stream socket the stack connects to, sends raw Ethernet
 * frames it builds with {@link Packets}, and parses what comes back.
 */
final class GuestForTests implements AutoCloseable {
    static final byte[] MAC = {0x02, 0, 0, 0, 0, 0x02};
    static final int IP = 0xac100002; // 172.16.0.2
    static final int GATEWAY = IP - 1;

    /** A frame from the stack, parsed. */
    record Seen(byte[] raw, int etherType, int proto, int src, int dst, int srcPort, int dstPort, int seq, int ack,
            int flags, int window, int icmpType, int icmpCode, byte[] payload, int tcpHeader) {
        boolean tcp() {
            return proto == Packets.PROTO_TCP;
        }

        boolean has(int flag) {
            return (flags & flag) == flag;
        }
    }

    private final ServerSocketChannel server;
    private final Path path;
    private volatile SocketChannel channel;
    private final BlockingQueue<Seen> frames = new LinkedBlockingQueue<>();
    private Thread reader;
    private volatile boolean closed;
    private boolean paused;

    GuestForTests(Path path) throws IOException {
        this.path = path;
        Files.deleteIfExists(path);
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
    }

    /** Waits for the stack to connect (as QEMU's listening netdev would). */
    GuestForTests accept() throws IOException {
        channel = server.accept();
        reader = DaemonThreads.start("guest-for-tests", this::read);
        return this;
    }

    /** Drops the stack's connection, as a restarted QEMU would. */
    void disconnect() throws IOException {
        channel.close();
    }

    /** Stops reading the link, as a busy QEMU would: frames back up in the socket, then in the stack. */
    synchronized void pause() {
        paused = true;
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }

    private synchronized void waitWhilePaused() throws InterruptedException {
        while (paused && !closed) {
            wait();
        }
    }

    private void read() {
        SocketChannel ch = channel;
        ByteBuffer len = ByteBuffer.allocate(4);
        try {
            for (byte[] f; !closed && (f = LinkFramesForTests.read(ch, len)) != null;) {
                frames.add(parse(f));
                waitWhilePaused();
            }
        } catch (IOException | InterruptedException e) {
            // the test closed the socket
        }
    }

    static Seen parse(byte[] f) {
        int type = u16(f, 12);
        if (type != Packets.ETHERTYPE_IPV4) {
            return new Seen(f, type, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, new byte[0], 0);
        }
        int ip = ETH;
        int ihl = (f[ip] & 0xf) * 4;
        int total = u16(f, ip + 2);
        if (Packets.checksum(f, ip, ihl) != 0) {
            throw new AssertionError("bad IPv4 header checksum from the stack");
        }
        int proto = f[ip + 9] & 0xff;
        int src = i32(f, ip + 12);
        int dst = i32(f, ip + 16);
        int t = ip + ihl;
        int tlen = total - ihl;
        switch (proto) {
            case Packets.PROTO_TCP -> {
                if (Packets.transportChecksum(f, t, tlen, src, dst, proto) != 0) {
                    throw new AssertionError("bad TCP checksum from the stack");
                }
                int hdr = ((f[t + 12] & 0xf0) >>> 4) * 4;
                return new Seen(f, type, proto, src, dst, u16(f, t), u16(f, t + 2), i32(f, t + 4), i32(f, t + 8),
                        f[t + 13] & 0x3f, u16(f, t + 14), 0, 0, java.util.Arrays.copyOfRange(f, t + hdr, t + tlen), hdr);
            }
            case Packets.PROTO_UDP -> {
                if (Packets.transportChecksum(f, t, tlen, src, dst, proto) != 0) {
                    throw new AssertionError("bad UDP checksum from the stack");
                }
                return new Seen(f, type, proto, src, dst, u16(f, t), u16(f, t + 2), 0, 0, 0, 0, 0, 0,
                        java.util.Arrays.copyOfRange(f, t + 8, t + tlen), 0);
            }
            case Packets.PROTO_ICMP -> {
                if (Packets.checksum(f, t, tlen) != 0) {
                    throw new AssertionError("bad ICMP checksum from the stack");
                }
                return new Seen(f, type, proto, src, dst, 0, 0, i32(f, t + 4), 0, 0, 0, f[t] & 0xff, f[t + 1] & 0xff,
                        java.util.Arrays.copyOfRange(f, t + 8, t + tlen), 0);
            }
            default -> {
                return new Seen(f, type, proto, src, dst, 0, 0, 0, 0, 0, 0, 0, 0, new byte[0], 0);
            }
        }
    }

    synchronized void send(byte[]... frames) throws IOException {
        LinkFramesForTests.write(channel, frames);
    }

    static byte[] tcpFrame(int dst, int srcPort, int dstPort, int seq, int ack, int flags, int window, byte[] options,
            byte[] data) {
        return Packets.tcp(StackConfig.GATEWAY_MAC, MAC, IP, dst, srcPort, dstPort, seq, ack, flags, window, options,
                data, 0, data == null ? 0 : data.length);
    }

    void tcp(int dst, int srcPort, int dstPort, int seq, int ack, int flags, int window, byte[] options, byte[] data)
            throws IOException {
        send(tcpFrame(dst, srcPort, dstPort, seq, ack, flags, window, options, data));
    }

    void udp(int dst, int srcPort, int dstPort, byte[] data) throws IOException {
        send(Packets.udp(StackConfig.GATEWAY_MAC, MAC, IP, dst, srcPort, dstPort, data, 0, data.length));
    }

    /** The next frame, or null after {@code seconds}. */
    Seen next(double seconds) throws InterruptedException {
        return frames.poll((long) (seconds * 1000), TimeUnit.MILLISECONDS);
    }

    /** The next frame matching {@code what}, skipping others; fails after 10 s. */
    Seen expect(String what, Predicate<Seen> match) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            Seen s = frames.poll(100, TimeUnit.MILLISECONDS);
            if (s != null && match.test(s)) {
                return s;
            }
        }
        throw new AssertionError("no frame from the stack: " + what);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        resume();
        if (channel != null) {
            channel.close();
        }
        server.close();
        Files.deleteIfExists(path);
    }
}
