package io.msb.network.internal.stack;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.msb.api.network.RateLimiter;
import io.msb.api.spi.DaemonThreads;
import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.DnsInterceptor;
import io.msb.network.internal.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Jazzer target: hostile frames from the guest into one live {@link NetStack} (frame parser, ARP, IPv4, ICMP,
 * UDP, DNS framing and the TCP state machine; IPv6 with neighbour solicitations, ICMPv6, UDP and TCP).
 * Structure-aware: each input is up to 16 frames of a chosen kind
 * with fuzzed fields, valid checksums unless the input asks to break them, and TCP acknowledgement numbers
 * that may be taken relative to the stack's own sequence numbers so established flows are reached. Allowed
 * flows are dialled to a loopback sink only. Oracle: nothing may throw out of the stack's frame handling.
 */
public final class NetStackFuzz {
    static final int GUEST = 0xac100002;
    static final int GATEWAY = GUEST - 1;
    static final byte[] MAC = {2, 0, 0, 0, 0, 2};
    static final int[] DESTINATIONS = {GATEWAY, 0x0a000001, 0x01010101};
    static final Packets6.Addr6 GUEST6 = new Packets6.Addr6(0xfd42_6d73_0062_0000L, 2);
    static final Packets6.Addr6[] DESTINATIONS6 = {GUEST6.withInterface(1), new Packets6.Addr6(0xfd00L << 48, 1),
        new Packets6.Addr6(0x2001_0db8L << 32, 1), new Packets6.Addr6(0, 0xffff_7f00_0001L)};
    static final EventLoop LOOP = new EventLoop("fuzz-net");
    static final Map<Integer, Integer> STACK_SEQ = new ConcurrentHashMap<>();
    static final NetStack STACK;
    static final int SINK_PORT;

    static {
        // Jazzer's SSRF detector flags every connect; the stack dials only the loopback sink here
        BugDetectors.allowNetworkConnections((host, port) -> InetAddress.getLoopbackAddress().getHostAddress()
                .equals(host) || "localhost".equals(host));
        try {
            Path dir = Files.createTempDirectory("msbfuzz");
            Path sock = dir.resolve("net.sock");
            ServerSocketChannel qemu = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            qemu.bind(UnixDomainSocketAddress.of(sock));
            ServerSocketChannel sink = ServerSocketChannel.open();
            sink.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SINK_PORT = ((InetSocketAddress) sink.getLocalAddress()).getPort();
            daemon(() -> sinkLoop(sink));
            ConnectionPolicy policy = new ConnectionPolicy() {
                @Override
                public boolean allowEgress(Protocol protocol, InetAddress destination, int port) {
                    return destination.equals(NetStack.address(GATEWAY))
                            || destination.equals(GUEST6.withInterface(1).inet());
                }

                @Override
                public boolean allowIngress(Protocol protocol, InetAddress source, int guestPort) {
                    return true;
                }
            };
            DnsInterceptor dns = query -> CompletableFuture.completedFuture(query.length < 12 ? null : query);
            Dialer toSink = new Dialer() {
                final HostDialer host = new HostDialer();

                @Override
                public SocketChannel tcp(InetSocketAddress to) throws IOException {
                    return host.tcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), SINK_PORT));
                }

                @Override
                public DatagramChannel udp(InetSocketAddress to) throws IOException {
                    return host.udp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9)); // discard
                }
            };
            StackConfig config = new StackConfig(sock, MAC, GUEST, 32, RateLimiter.UNLIMITED, List.of(), 8192, 60_000,
                    StackConfig.MTU, GUEST6);
            STACK = NetStack.start(LOOP, config, policy, dns, toSink);
            SocketChannel link = qemu.accept();
            daemon(() -> drain(link));
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private NetStackFuzz() {
    }

    static void daemon(Runnable r) {
        DaemonThreads.start("fuzz-helper", r);
    }

    /** The hosts the stack dials: accept, sometimes answer, keep a few open. */
    static void sinkLoop(ServerSocketChannel sink) {
        ArrayDeque<SocketChannel> open = new ArrayDeque<>();
        try {
            while (true) {
                SocketChannel s = sink.accept();
                s.write(ByteBuffer.wrap("hello from the host".getBytes()));
                open.add(s);
                if (open.size() > 8) {
                    open.poll().close();
                }
            }
        } catch (IOException e) {
            // the fuzz run ends
        }
    }

    /** QEMU's side: read frames, remember the stack's TCP sequence numbers per guest port. */
    static void drain(SocketChannel link) {
        ByteBuffer len = ByteBuffer.allocate(4);
        try {
            for (byte[] b; (b = LinkFramesForTests.read(link, len)) != null;) {
                if (b.length >= 54 && Packets.u16(b, 12) == Packets.ETHERTYPE_IPV4 && b[23] == Packets.PROTO_TCP) {
                    STACK_SEQ.put(Packets.u16(b, 36), Packets.i32(b, 38));
                } else if (b.length >= 74 && Packets.u16(b, 12) == Packets6.ETHERTYPE_IPV6
                        && b[20] == Packets.PROTO_TCP) {
                    STACK_SEQ.put(Packets.u16(b, 56), Packets.i32(b, 58));
                }
            }
        } catch (IOException e) {
            // the fuzz run ends
        }
    }

    public static void fuzzerTestOneInput(FuzzedDataProvider data) throws Throwable {
        int frames = data.consumeInt(1, 16);
        for (int i = 0; i < frames && data.remainingBytes() > 0; i++) {
            byte[] f = frame(data);
            CompletableFuture<Void> done = new CompletableFuture<>();
            LOOP.execute(() -> {
                try {
                    STACK.fromGuest(f, 0, f.length);
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            try {
                done.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause();
            }
        }
    }

    static byte[] frame(FuzzedDataProvider d) {
        int kind = d.consumeInt(0, 9);
        if (kind >= 6) {
            return frame6(d, kind);
        }
        int dst = DESTINATIONS[d.consumeInt(0, DESTINATIONS.length - 1)];
        byte[] f;
        switch (kind) {
            case 0 -> {
                return d.consumeBytes(d.consumeInt(0, 1600));
            }
            case 1 -> f = Packets.arp(StackConfig.GATEWAY_MAC, MAC, d.consumeInt(0, 3), MAC, GUEST, new byte[6],
                    d.consumeBoolean() ? GATEWAY : d.consumeInt());
            case 2 -> {
                byte[] body = d.consumeBytes(d.consumeInt(0, 1400));
                f = Packets.icmp(StackConfig.GATEWAY_MAC, MAC, GUEST, dst, d.consumeBoolean() ? 8 : d.consumeInt(0, 255),
                        d.consumeInt(0, 3), d.consumeInt(), body, 0, body.length);
            }
            case 3 -> {
                byte[] body = d.consumeBytes(d.consumeInt(0, 1472));
                f = Packets.udp(StackConfig.GATEWAY_MAC, MAC, GUEST, dst, d.consumeInt(40000, 40003),
                        d.consumeBoolean() ? 53 : d.consumeInt(0, 65535), body, 0, body.length);
            }
            default -> {
                int sport = d.consumeInt(40000, 40007);
                int dport = d.consumeBoolean() ? SINK_PORT : d.consumeBoolean() ? 53 : d.consumeInt(0, 65535);
                int flags = d.consumeInt(0, 0x3f);
                int seq = d.consumeInt();
                Integer theirs = STACK_SEQ.get(sport);
                int ack = d.consumeBoolean() && theirs != null ? theirs + d.consumeInt(-2, 3000) : d.consumeInt();
                byte[] options = d.consumeBoolean() ? d.consumeBytes(d.consumeInt(0, 40) & ~3) : null;
                byte[] body = d.consumeBytes(d.consumeInt(0, 1460));
                f = Packets.tcp(StackConfig.GATEWAY_MAC, MAC, GUEST, dst, sport, dport, seq, ack, flags,
                        d.consumeInt(0, 65535), options, body, 0, body.length);
            }
        }
        return broken(d, f);
    }

    /** IPv6: a neighbour solicitation, an ICMPv6 message, UDP or TCP, to one of {@link #DESTINATIONS6}. */
    static byte[] frame6(FuzzedDataProvider d, int kind) {
        Packets6.Addr6 dst = DESTINATIONS6[d.consumeInt(0, DESTINATIONS6.length - 1)];
        Packets6.Addr6 src = d.consumeBoolean() ? GUEST6 : new Packets6.Addr6(0xfe80L << 48, d.consumeLong());
        byte[] f;
        switch (kind) {
            case 6 -> f = Packets6.neighborSolicitation(MAC, src, d.consumeBoolean() ? GUEST6.withInterface(1) : dst);
            case 7 -> {
                byte[] body = d.consumeBytes(d.consumeInt(0, 1400));
                f = Packets6.icmp(StackConfig.GATEWAY_MAC, MAC, src, dst,
                        d.consumeBoolean() ? Packets6.ECHO_REQUEST : d.consumeInt(0, 255), d.consumeInt(0, 3),
                        d.consumeInt(), body, 0, body.length);
            }
            case 8 -> {
                byte[] body = d.consumeBytes(d.consumeInt(0, 1452));
                f = Packets6.udp(StackConfig.GATEWAY_MAC, MAC, src, dst, d.consumeInt(40000, 40003),
                        d.consumeBoolean() ? 53 : d.consumeInt(0, 65535), body, 0, body.length);
            }
            default -> {
                int sport = d.consumeInt(40010, 40017);
                int dport = d.consumeBoolean() ? SINK_PORT : d.consumeBoolean() ? 53 : d.consumeInt(0, 65535);
                int flags = d.consumeInt(0, 0x3f);
                int seq = d.consumeInt();
                Integer theirs = STACK_SEQ.get(sport);
                int ack = d.consumeBoolean() && theirs != null ? theirs + d.consumeInt(-2, 3000) : d.consumeInt();
                byte[] options = d.consumeBoolean() ? d.consumeBytes(d.consumeInt(0, 40) & ~3) : null;
                byte[] body = d.consumeBytes(d.consumeInt(0, 1440));
                f = Packets6.tcp(StackConfig.GATEWAY_MAC, MAC, GUEST6, dst, sport, dport, seq, ack, flags,
                        d.consumeInt(0, 65535), options, body, 0, body.length);
            }
        }
        return broken(d, f);
    }

    /** Sometimes one header byte broken: lengths, version, checksums, fragment bits, hop limit. */
    static byte[] broken(FuzzedDataProvider d, byte[] f) {
        if (d.consumeBoolean() && f.length > 14) {
            // break a header field: lengths, version, checksums, fragment bits
            int at = d.consumeInt(14, f.length - 1);
            f[at] ^= (byte) d.consumeInt(1, 255);
        }
        return f;
    }
}
