package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ACK;
import static io.msb.network.internal.stack.Packets.ETH;
import static io.msb.network.internal.stack.Packets.RST;
import static io.msb.network.internal.stack.Packets.SYN;
import static io.msb.network.internal.stack.Packets.i32;
import static io.msb.network.internal.stack.Packets.u16;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.DirectionLimits;
import io.msb.api.network.PublishedPort;
import io.msb.api.spi.NetworkCounters;
import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.DnsInterceptor;
import io.msb.network.internal.Protocol;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One sandbox's user-space network: the gateway at {@code guest - 1} answering ARP and ping, TCP and UDP
 * terminated here and re-originated through a {@link Dialer} (the gateway means the host's 127.0.0.1), DNS
 * on port 53 of any address answered by the {@link DnsInterceptor}, published ports, limits and counters.
 * With an IPv6 address the same over IPv6 beside it (the gateway ::1 of the guest's /64 answering neighbour
 * solicitations and ping, and meaning the host's 127.0.0.1, as the IPv4 gateway does); published ports stay IPv4.
 * Everything runs on one {@link EventLoop}; the guest is untrusted, so every field is checked and every
 * buffer is bounded.
 */
public final class NetStack implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NetStack.class.getName());
    static final int MAX_PENDING_DNS = 64;
    static final int EPHEMERAL_FIRST = 49152;

    final EventLoop loop;
    private final StackConfig config;
    private final DnsInterceptor dns;
    private final Dialer dialer;
    private volatile ConnectionPolicy policy;
    private final GuestLink link;
    private final Counters counters = new Counters();
    private final byte[] guestMac;
    private final int guestIp;
    private final int gatewayIp;
    /** The guest's and the gateway's IPv6 addresses, or null for an IPv4-only network. */
    private final Packets6.Addr6 guestIp6;
    private final Packets6.Addr6 gatewayIp6;
    /** Flows by key: a Long for IPv4 ({@link #key}), a {@link Flow6} for IPv6. */
    private final Map<Object, TcpConnection> tcp = new HashMap<>();
    private final Map<Object, UdpFlow> udp = new HashMap<>();
    private final Set<TcpConnection> waiting = new LinkedHashSet<>();
    /** Flows whose guest data is acknowledged once the frames of the current read are all taken. */
    private final Set<TcpConnection> acksDue = new LinkedHashSet<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<PublishedUdp> udpListeners = new ArrayList<>();
    private final TokenBucket egressBytes;
    private final TokenBucket egressOps;
    private final TokenBucket ingressBytes;
    private final TokenBucket ingressOps;
    private EventLoop.Timer wake;
    private EventLoop.Timer sweep;
    private int pendingDns;
    private int nextPort = EPHEMERAL_FIRST;
    private volatile boolean closed;

    private NetStack(EventLoop loop, StackConfig config, ConnectionPolicy policy, DnsInterceptor dns, Dialer dialer) {
        this.loop = loop;
        this.config = config;
        this.policy = policy;
        this.dns = dns;
        this.dialer = dialer;
        this.guestMac = config.guestMac();
        this.guestIp = config.guestIp();
        this.gatewayIp = config.gatewayIp();
        this.guestIp6 = config.guestIp6();
        this.gatewayIp6 = config.gatewayIp6();
        this.link = new GuestLink(loop, config.linkPath(), new GuestLink.Receiver() {
            @Override
            public long frame(byte[] buf, int off, int len) {
                return fromGuest(buf, off, len);
            }

            @Override
            public void writable() {
                linkWritable();
            }

            @Override
            public void batchDone() {
                sendDueAcks();
            }
        });
        long now = System.nanoTime();
        DirectionLimits egress = config.rateLimiter().egress();
        DirectionLimits ingress = config.rateLimiter().ingress();
        egressBytes = egress == null || egress.bandwidth() == null ? null : new TokenBucket(egress.bandwidth(), now);
        egressOps = egress == null || egress.ops() == null ? null : new TokenBucket(egress.ops(), now);
        ingressBytes = ingress == null || ingress.bandwidth() == null ? null : new TokenBucket(ingress.bandwidth(), now);
        ingressOps = ingress == null || ingress.ops() == null ? null : new TokenBucket(ingress.ops(), now);
    }

    /**
     * Binds the published ports (failing with an error naming {@code ports.host_port} if one is taken), then
     * starts serving on {@code loop} and connecting to QEMU's socket.
     */
    public static NetStack start(EventLoop loop, StackConfig config, ConnectionPolicy policy, DnsInterceptor dns,
            Dialer dialer) {
        NetStack s = new NetStack(loop, config, policy, dns, dialer);
        try {
            s.bindPorts();
        } catch (RuntimeException e) {
            s.closeListeners();
            throw e;
        }
        loop.execute(s::started);
        return s;
    }

    private void bindPorts() {
        for (PublishedPort p : config.ports()) {
            InetSocketAddress at;
            try {
                at = new InetSocketAddress(InetAddress.getByName(p.hostBind()), p.hostPort());
            } catch (UnknownHostException e) {
                throw new InvalidConfigException("ports.host_bind", "ports.host_bind is not an address: " + p.hostBind());
            }
            try {
                if (p.protocol() == PublishedPort.Protocol.TCP) {
                    ServerSocketChannel ch = ServerSocketChannel.open();
                    listeners.add(ch);
                    ch.bind(at);
                    ch.configureBlocking(false);
                } else {
                    DatagramChannel ch = DatagramChannel.open();
                    udpListeners.add(new PublishedUdp(p, ch));
                    ch.bind(at);
                    ch.configureBlocking(false);
                }
            } catch (BindException e) {
                throw new InvalidConfigException("ports.host_port", "ports.host_port " + p.hostPort() + ": "
                        + p.protocol().name().toLowerCase() + " " + at + " is already in use (" + e.getMessage() + ")");
            } catch (IOException e) {
                throw new UncheckedIOException("publishing " + at, e);
            }
        }
    }

    private void started() {
        int i = 0;
        for (PublishedPort p : config.ports()) {
            if (p.protocol() == PublishedPort.Protocol.TCP) {
                ServerSocketChannel ch = listeners.get(i++);
                register(ch, SelectionKey.OP_ACCEPT, new Acceptor(ch, p.guestPort()));
            }
        }
        for (PublishedUdp u : udpListeners) {
            register(u.channel, SelectionKey.OP_READ, u);
        }
        sweep = loop.schedule(1000, this::sweepUdp);
        link.connect();
    }

    private void register(java.nio.channels.SelectableChannel ch, int ops, EventLoop.Handler h) {
        try {
            loop.register(ch, ops, h);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "network: cannot watch " + ch, e);
        }
    }

    public void policy(ConnectionPolicy newPolicy) {
        this.policy = newPolicy;
    }

    /** The largest TCP payload the guest's link carries in one frame. */
    int mss() {
        return config.mss();
    }

    public NetworkCounters counters() {
        return counters.snapshot();
    }

    /** True while QEMU's socket is connected. */
    public boolean linked() {
        return link.connected();
    }

    // ---- frames from the guest

    long fromGuest(byte[] b, int off, int len) {
        long now = System.nanoTime();
        long wait = Math.max(waitFor(egressOps, 1, now), waitFor(egressBytes, len, now));
        if (wait > 0) {
            return wait;
        }
        take(egressOps, 1, now);
        take(egressBytes, len, now);
        counters.packetsOut++;
        counters.bytesOut += len;
        if (len < ETH) {
            return 0;
        }
        boolean toUs = (b[off] & 1) == 1 || java.util.Arrays.equals(b, off, off + 6, StackConfig.GATEWAY_MAC, 0, 6);
        if (!toUs) {
            return 0;
        }
        int type = u16(b, off + 12);
        try {
            if (type == Packets.ETHERTYPE_ARP) {
                arp(b, off + ETH, len - ETH);
            } else if (type == Packets.ETHERTYPE_IPV4) {
                ipv4(b, off + ETH, len - ETH);
            } else if (type == Packets6.ETHERTYPE_IPV6 && guestIp6 != null) {
                ipv6(b, off, off + ETH, len - ETH);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "network: a guest frame failed", e);
        }
        return 0;
    }

    private static long waitFor(TokenBucket bucket, long amount, long now) {
        return bucket == null || bucket.available(amount, now) ? 0 : bucket.millisUntil(amount, now);
    }

    private static void take(TokenBucket bucket, long amount, long now) {
        if (bucket != null) {
            bucket.consume(amount, now);
        }
    }

    private void arp(byte[] b, int a, int len) {
        if (len < 28 || u16(b, a) != 1 || u16(b, a + 2) != Packets.ETHERTYPE_IPV4 || b[a + 4] != 6 || b[a + 5] != 4
                || u16(b, a + 6) != 1 || i32(b, a + 24) != gatewayIp) {
            return;
        }
        byte[] senderMac = java.util.Arrays.copyOfRange(b, a + 8, a + 14);
        control(Packets.arp(senderMac, StackConfig.GATEWAY_MAC, 2, StackConfig.GATEWAY_MAC, gatewayIp, senderMac,
                i32(b, a + 14)));
    }

    private void ipv4(byte[] b, int ip, int len) throws IOException {
        if (len < Packets.IP || (b[ip] & 0xf0) != 0x40) {
            return;
        }
        int ihl = (b[ip] & 0x0f) * 4;
        int total = u16(b, ip + 2);
        if (ihl < Packets.IP || total < ihl || total > len || Packets.checksum(b, ip, ihl) != 0) {
            return;
        }
        int frag = u16(b, ip + 6);
        if ((frag & 0x3fff) != 0) {
            return; // a fragment (MF set or an offset): the guest's MTU is ours, so nothing legitimate is fragmented
        }
        int src = i32(b, ip + 12);
        int dst = i32(b, ip + 16);
        if (src != guestIp || dst == guestIp || dst == -1 || dst == guestIp + 1 || (dst >>> 28) == 0xe
                || (dst >>> 24) == 0) {
            return; // spoofed source, or broadcast/multicast/this-network destinations we do not serve
        }
        int t = ip + ihl;
        int tlen = total - ihl;
        switch (b[ip + 9]) {
            case Packets.PROTO_ICMP -> icmp(b, ip, t, tlen, dst);
            case Packets.PROTO_UDP -> udp(b, ip, t, tlen, src, dst);
            case Packets.PROTO_TCP -> tcp(b, t, tlen, src, dst);
            default -> { }
        }
    }

    // ---- ICMP

    private void icmp(byte[] b, int ip, int c, int len, int dst) {
        if (len < 8 || Packets.checksum(b, c, len) != 0 || b[c] != 8 || b[c + 1] != 0) {
            return;
        }
        if (dst == gatewayIp) {
            control(Packets.icmp(guestMac, StackConfig.GATEWAY_MAC, gatewayIp, guestIp, 0, 0, i32(b, c + 4),
                    b, c + 8, len - 8));
            return;
        }
        // no raw sockets on the host: a ping elsewhere is refused at once rather than left to time out
        if (!allowEgress(Protocol.ICMP, dst, 0)) {
            counters.denials++;
        }
        unreachable(b, ip, dst, 13);
    }

    /** ICMP destination unreachable with {@code code} (3 port, 13 administratively prohibited). */
    private void unreachable(byte[] b, int ip, int from, int code) {
        int ihl = (b[ip] & 0x0f) * 4;
        int quote = Math.min(u16(b, ip + 2), ihl + 8);
        control(Packets.icmp(guestMac, StackConfig.GATEWAY_MAC, from, guestIp, 3, code, 0, b, ip, quote));
    }

    private boolean allowEgress(Protocol p, int dst, int port) {
        return allowEgress(p, address(dst), port);
    }

    private boolean allowEgress(Protocol p, InetAddress dst, int port) {
        try {
            return policy.allowEgress(p, dst, port);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "network policy failed; denying", e);
            return false;
        }
    }

    /** An IPv4 address held as an int. */
    public static InetAddress address(int ip) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int ipOf(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 4 ? i32(b, 0) : 0;
    }

    /** Where a flow to {@code dst} goes on the host: the gateway means the host's loopback. */
    private InetSocketAddress upstream(int dst, int port) {
        return new InetSocketAddress(dst == gatewayIp ? InetAddress.getLoopbackAddress() : address(dst), port);
    }

    private boolean full() {
        return tcp.size() + udp.size() >= config.maxConnections();
    }

    // ---- UDP

    private void udp(byte[] b, int ip, int u, int len, int src, int dst) throws IOException {
        if (len < Packets.UDP) {
            return;
        }
        int ulen = u16(b, u + 4);
        if (ulen < Packets.UDP || ulen > len) {
            return;
        }
        int sum = u16(b, u + 6);
        if (sum != 0 && Packets.transportChecksum(b, u, ulen, src, dst, Packets.PROTO_UDP) != 0) {
            return;
        }
        int sport = u16(b, u);
        int dport = u16(b, u + 2);
        int dataOff = u + Packets.UDP;
        int dataLen = ulen - Packets.UDP;
        if (dst == gatewayIp && dport >= EPHEMERAL_FIRST) {
            for (PublishedUdp p : udpListeners) {
                if (p.reply(sport, dport, b, dataOff, dataLen)) {
                    return;
                }
            }
        }
        if (dport == 53) {
            byte[] query = java.util.Arrays.copyOfRange(b, dataOff, dataOff + dataLen);
            if (pendingDns >= MAX_PENDING_DNS) {
                return;
            }
            pendingDns++;
            askDns(query, Protocol.UDP, reply -> {
                pendingDns--;
                if (reply != null) {
                    dnsReply(dst, sport, reply);
                }
            });
            return;
        }
        long k = key(sport, dst, dport);
        UdpFlow flow = udp.get(k);
        if (flow == null) {
            if (full() || !allowEgress(Protocol.UDP, dst, dport)) {
                counters.denials++;
                unreachable(b, ip, dst, 13);
                return;
            }
            DatagramChannel ch;
            try {
                ch = dialer.udp(upstream(dst, dport));
            } catch (IOException e) {
                unreachable(b, ip, dst, 3);
                return;
            }
            flow = new UdpFlow(k, sport, dst, null, dport, ch);
            udp.put(k, flow);
            counters.open = tcp.size() + udp.size();
            counters.total++;
            loop.register(ch, SelectionKey.OP_READ, flow);
        }
        flow.lastActive = System.nanoTime();
        try {
            flow.channel.write(ByteBuffer.wrap(b, dataOff, dataLen));
        } catch (PortUnreachableException e) {
            unreachable(b, ip, dst, 3);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "network: udp send failed", e);
        }
    }

    private void dnsReply(int from, int port, byte[] reply) {
        byte[] r = fitDns(reply, config.udpMaxPayload());
        if (r != null && canSend(Packets.ETH + Packets.IP + Packets.UDP + r.length)) {
            data(Packets.udp(guestMac, StackConfig.GATEWAY_MAC, from, guestIp, 53, port, r, 0, r.length));
        }
    }

    /** A DNS reply that fits {@code max} bytes: whole, or too big for one datagram its header with TC set. */
    private static byte[] fitDns(byte[] reply, int max) {
        if (reply.length <= max) {
            return reply;
        }
        if (reply.length < 12) {
            return null;
        }
        // too big for one datagram: header only, truncated bit set, so the resolver retries over TCP
        byte[] r = java.util.Arrays.copyOf(reply, 12);
        r[2] |= 0x02;
        java.util.Arrays.fill(r, 4, 12, (byte) 0);
        return r;
    }

    /** Asks the interceptor; the answer (or null) is handed to {@code then} on the loop thread. */
    void askDns(byte[] query, Protocol transport, Consumer<byte[]> then) {
        CompletableFuture<byte[]> f;
        try {
            f = dns.answer(query, transport);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        if (f == null) {
            f = CompletableFuture.completedFuture(null);
        }
        f.orTimeout(30, TimeUnit.SECONDS).whenComplete((reply, error) -> loop.execute(() -> {
            if (closed) {
                return;
            }
            byte[] r = error != null || reply == null || reply.length > DnsInterceptor.MAX_MESSAGE ? null : reply;
            then.accept(r);
        }));
    }

    final class UdpFlow implements EventLoop.Handler {
        final Object key;
        final int guestPort;
        final int remoteIp;
        /** The remote end of an IPv6 flow, or null for IPv4. */
        final Packets6.Addr6 remote6;
        final int remotePort;
        final DatagramChannel channel;
        long lastActive = System.nanoTime();

        UdpFlow(Object key, int guestPort, int remoteIp, Packets6.Addr6 remote6, int remotePort,
                DatagramChannel channel) {
            this.key = key;
            this.guestPort = guestPort;
            this.remoteIp = remoteIp;
            this.remote6 = remote6;
            this.remotePort = remotePort;
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey k) {
            // an IPv6 frame's header is 20 bytes longer: its datagrams are cut 20 bytes shorter to fit the MTU
            int max = config.udpMaxPayload() - (remote6 == null ? 0 : Packets6.IP6 - Packets.IP);
            ByteBuffer buf = ByteBuffer.allocate(max);
            for (int i = 0; i < 64; i++) {
                buf.clear();
                int n;
                try {
                    n = channel.read(buf);
                } catch (PortUnreachableException e) {
                    // the host said nobody listens: tell the guest the same way
                    if (remote6 != null) {
                        unreachable6(Packets6.udp(StackConfig.GATEWAY_MAC, guestMac, guestIp6, remote6, guestPort,
                                remotePort, new byte[0], 0, 0), ETH, remote6, 4);
                        return;
                    }
                    byte[] f = Packets.udp(StackConfig.GATEWAY_MAC, guestMac, guestIp, remoteIp, guestPort, remotePort,
                            new byte[0], 0, 0);
                    unreachable(f, ETH, remoteIp, 3);
                    return;
                } catch (IOException e) {
                    closeFlow();
                    return;
                }
                if (n <= 0) {
                    return;
                }
                lastActive = System.nanoTime();
                if (remote6 != null) {
                    if (canSend(Packets.ETH + Packets6.IP6 + Packets.UDP + n)) {
                        data(Packets6.udp(guestMac, StackConfig.GATEWAY_MAC, remote6, guestIp6, remotePort, guestPort,
                                buf.array(), 0, n));
                    }
                } else if (canSend(Packets.ETH + Packets.IP + Packets.UDP + n)) {
                    data(Packets.udp(guestMac, StackConfig.GATEWAY_MAC, remoteIp, guestIp, remotePort, guestPort,
                            buf.array(), 0, n));
                }
            }
        }

        @Override
        public void failed(Throwable error) {
            closeFlow();
        }

        void closeFlow() {
            udp.remove(key);
            counters.open = tcp.size() + udp.size();
            GuestLink.closeQuietly(channel);
        }
    }

    private void sweepUdp() {
        long idle = TimeUnit.MILLISECONDS.toNanos(config.udpIdleMillis());
        long now = System.nanoTime();
        for (UdpFlow f : new ArrayList<>(udp.values())) {
            if (now - f.lastActive > idle) {
                f.closeFlow();
            }
        }
        for (PublishedUdp p : udpListeners) {
            p.sweep(now, idle);
        }
        if (!closed) {
            sweep = loop.schedule(1000, this::sweepUdp);
        }
    }

    // ---- TCP

    static long key(int guestPort, int remoteIp, int remotePort) {
        return (long) guestPort << 48 | (long) remotePort << 32 | remoteIp & 0xffffffffL;
    }

    private void tcp(byte[] b, int t, int len, int src, int dst) throws IOException {
        if (len < Packets.TCP || Packets.transportChecksum(b, t, len, src, dst, Packets.PROTO_TCP) != 0) {
            return;
        }
        int hdr = ((b[t + 12] & 0xf0) >>> 4) * 4;
        if (hdr < Packets.TCP || hdr > len) {
            return;
        }
        int sport = u16(b, t);
        int dport = u16(b, t + 2);
        int seq = i32(b, t + 4);
        int ack = i32(b, t + 8);
        int flags = b[t + 13] & 0x3f;
        int window = u16(b, t + 14);
        long k = key(sport, dst, dport);
        TcpConnection c = tcp.get(k);
        if (c != null) {
            c.segment(seq, ack, flags, window, b, t, hdr, len);
            return;
        }
        if ((flags & RST) != 0) {
            return;
        }
        int dataLen = len - hdr;
        if ((flags & (SYN | ACK)) != SYN) {
            // no such flow: reset, as a host would
            if ((flags & ACK) != 0) {
                rstFor(sport, dst, dport, ack, 0, false);
            } else {
                rstFor(sport, dst, dport, 0, seq + dataLen + ((flags & Packets.FIN) != 0 ? 1 : 0), true);
            }
            return;
        }
        boolean isDns = dport == 53;
        if (full() || !isDns && !allowEgress(Protocol.TCP, dst, dport)) {
            counters.denials++;
            rstFor(sport, dst, dport, 0, seq + 1, true);
            return;
        }
        SocketChannel ch = null;
        if (!isDns) {
            try {
                ch = dialer.tcp(upstream(dst, dport), address(dst));
            } catch (IOException e) {
                rstFor(sport, dst, dport, 0, seq + 1, true);
                return;
            }
        }
        c = new TcpConnection(this, k, sport, dst, dport, isDns, config.flowBuffer());
        tcp.put(k, c);
        counters.open = tcp.size() + udp.size();
        counters.total++;
        try {
            c.guestSyn(seq, window, b, t, t + hdr, ch);
        } catch (IOException e) {
            c.abort();
        }
    }

    /** Resets a guest flow we have no state for (or refuse). */
    void rstFor(int guestPort, int remoteIp, int remotePort, int seq, int ack, boolean withAck) {
        control(tcpFrame(remoteIp, remotePort, guestPort, seq, ack, withAck ? RST | ACK : RST, 0, null, null, 0, 0));
    }

    /** The host refused or failed the connect: reset the guest's SYN. */
    void refuseTcp(TcpConnection c, int ack) {
        c.closeHost(true);
        remove(c);
        if (c.remote6 != null) {
            rstFor6(c.guestPort, c.remote6, c.remotePort, 0, ack, true);
        } else {
            rstFor(c.guestPort, c.remoteIp, c.remotePort, 0, ack, true);
        }
    }

    void remove(TcpConnection c) {
        if (tcp.remove(c.id) == c) {
            counters.open = tcp.size() + udp.size();
        }
        waiting.remove(c);
        acksDue.remove(c);
    }

    /** {@code c} acknowledges at the end of the current batch of guest frames. */
    void ackAfterBatch(TcpConnection c) {
        acksDue.add(c);
    }

    private void sendDueAcks() {
        if (acksDue.isEmpty()) {
            return;
        }
        List<TcpConnection> due = new ArrayList<>(acksDue);
        acksDue.clear();
        for (TcpConnection c : due) {
            c.sendDueAck();
        }
    }

    byte[] tcpFrame(int remoteIp, int remotePort, int guestPort, int seq, int ack, int flags, int window, byte[] options,
            byte[] data, int off, int len) {
        return Packets.tcp(guestMac, StackConfig.GATEWAY_MAC, remoteIp, guestIp, remotePort, guestPort, seq, ack, flags,
                window, options, data, off, len);
    }

    private final class Acceptor implements EventLoop.Handler {
        private final ServerSocketChannel server;
        private final int guestPort;

        Acceptor(ServerSocketChannel server, int guestPort) {
            this.server = server;
            this.guestPort = guestPort;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            SocketChannel s;
            while ((s = server.accept()) != null) {
                InetSocketAddress peer = (InetSocketAddress) s.getRemoteAddress();
                boolean allowed;
                try {
                    allowed = !full() && policy.allowIngress(Protocol.TCP, peer.getAddress(), guestPort);
                } catch (RuntimeException e) {
                    allowed = false;
                }
                if (!allowed) {
                    counters.denials++;
                    try {
                        s.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                    } finally {
                        s.close();
                    }
                    continue;
                }
                int port = freePort(guestPort);
                long id = key(guestPort, gatewayIp, port);
                TcpConnection c = new TcpConnection(NetStack.this, id, guestPort, gatewayIp, port, false,
                        config.flowBuffer());
                tcp.put(id, c);
                counters.open = tcp.size() + udp.size();
                counters.total++;
                c.ingress(s);
            }
        }

        @Override
        public void failed(Throwable error) {
            LOG.log(System.Logger.Level.WARNING, "network: accepting on a published port failed", error);
        }
    }

    /** A gateway-side port not used by a flow to {@code guestPort}. */
    private int freePort(int guestPort) {
        return nextFree(p -> tcp.containsKey(key(guestPort, gatewayIp, p)));
    }

    /** The next gateway-side (ephemeral) port, round robin, that is not {@code used}. */
    private int nextFree(java.util.function.IntPredicate used) {
        for (int i = 0; i < 65536 - EPHEMERAL_FIRST; i++) {
            int p = nextPort;
            nextPort = nextPort == 65535 ? EPHEMERAL_FIRST : nextPort + 1;
            if (!used.test(p)) {
                return p;
            }
        }
        return nextPort;
    }

    /** A published UDP port: each host peer gets a gateway-side port the guest answers to. */
    private final class PublishedUdp implements EventLoop.Handler {
        final PublishedPort port;
        final DatagramChannel channel;
        final Map<InetSocketAddress, Integer> portOf = new HashMap<>();
        final Map<Integer, InetSocketAddress> peerOf = new HashMap<>();
        final Map<Integer, Long> lastActive = new HashMap<>();

        PublishedUdp(PublishedPort port, DatagramChannel channel) {
            this.port = port;
            this.channel = channel;
        }

        @Override
        public void ready(SelectionKey k) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate(config.udpMaxPayload());
            for (int i = 0; i < 64; i++) {
                buf.clear();
                InetSocketAddress peer = (InetSocketAddress) channel.receive(buf);
                if (peer == null) {
                    return;
                }
                Integer gw = portOf.get(peer);
                if (gw == null) {
                    boolean allowed;
                    try {
                        allowed = !full() && portOf.size() < config.maxConnections()
                                && policy.allowIngress(Protocol.UDP, peer.getAddress(), port.guestPort());
                    } catch (RuntimeException e) {
                        allowed = false;
                    }
                    if (!allowed) {
                        counters.denials++;
                        continue;
                    }
                    gw = nextFree(peerOf::containsKey);
                    portOf.put(peer, gw);
                    peerOf.put(gw, peer);
                    counters.total++;
                }
                lastActive.put(gw, System.nanoTime());
                if (canSend(Packets.ETH + Packets.IP + Packets.UDP + buf.position())) {
                    data(Packets.udp(guestMac, StackConfig.GATEWAY_MAC, gatewayIp, guestIp, gw, port.guestPort(),
                            buf.array(), 0, buf.position()));
                }
            }
        }


        /** The guest answering from the published port to a peer's gateway-side port. */
        boolean reply(int guestPort, int gwPort, byte[] b, int off, int len) throws IOException {
            InetSocketAddress peer = guestPort == port.guestPort() ? peerOf.get(gwPort) : null;
            if (peer == null) {
                return false;
            }
            lastActive.put(gwPort, System.nanoTime());
            channel.send(ByteBuffer.wrap(b, off, len), peer);
            return true;
        }

        void sweep(long now, long idle) {
            lastActive.entrySet().removeIf(e -> {
                if (now - e.getValue() > idle) {
                    portOf.remove(peerOf.remove(e.getKey()));
                    return true;
                }
                return false;
            });
        }

        @Override
        public void failed(Throwable error) {
            LOG.log(System.Logger.Level.WARNING, "network: a published udp port failed", error);
        }
    }

    // ---- IPv6 (decisions 1310, 1311): neighbour discovery and ping for the gateway, then the same UDP, DNS and
    // TCP flows as IPv4, keyed by Flow6 and framed by Packets6. No extension headers: Linux sends none for these.

    /** An IPv6 flow's key: the guest's port and the remote end. */
    record Flow6(int guestPort, Packets6.Addr6 remote, int remotePort) {
    }

    private void ipv6(byte[] b, int eth, int ip, int len) throws IOException {
        if (len < Packets6.IP6 || (b[ip] & 0xf0) != 0x60) {
            return;
        }
        int plen = u16(b, ip + 4);
        if (plen > len - Packets6.IP6) {
            return;
        }
        int next = b[ip + 6] & 0xff;
        Packets6.Addr6 src = Packets6.Addr6.of(b, ip + 8);
        Packets6.Addr6 dst = Packets6.Addr6.of(b, ip + 24);
        int t = ip + Packets6.IP6;
        if (next == Packets6.PROTO_ICMP6) {
            icmp6(b, eth, ip, t, plen, src, dst);
            return;
        }
        if (!src.equals(guestIp6) || !routable6(dst)) {
            return; // spoofed source, or a destination we do not serve
        }
        switch (next) {
            case Packets.PROTO_UDP -> udp6(b, ip, t, plen, dst);
            case Packets.PROTO_TCP -> tcp6(b, ip, t, plen, dst);
            default -> { }
        }
    }

    /**
     * A destination a guest flow may go to: not the guest itself, not unspecified or multicast, and not an
     * IPv6 spelling of an IPv4 address (mapped, compatible, NAT64): those go over IPv4, so the policy's group
     * and the address dialed cannot differ (decision 1311).
     */
    private boolean routable6(Packets6.Addr6 dst) {
        long hi = dst.hi();
        long lo = dst.lo();
        boolean carriesIpv4 = hi == 0 && ((lo >>> 32) == 0xffffL || (lo >>> 32) == 0 && lo != 0 && lo != 1)
                || hi == 0x0064_ff9b_0000_0000L && (lo >>> 32) == 0;
        return !dst.equals(guestIp6) && !dst.unspecified() && !dst.multicast() && !carriesIpv4;
    }

    private void icmp6(byte[] b, int eth, int ip, int c, int len, Packets6.Addr6 src, Packets6.Addr6 dst) {
        if (len < 8 || Packets6.transportChecksum(b, ip, c, len, Packets6.PROTO_ICMP6) != 0) {
            return;
        }
        int type = b[c] & 0xff;
        if (type == Packets6.NEIGHBOR_SOLICITATION) {
            // RFC 4861 7.1.1: hop limit 255, code 0, at least 24 bytes; answered for the gateway's address only,
            // and not for duplicate address detection (unspecified source): the guest owns no gateway address
            if ((b[ip + 7] & 0xff) != 255 || b[c + 1] != 0 || len < 24 || src.unspecified() || src.multicast()
                    || !gatewayIp6.equalsAt(b, c + 8)) {
                return;
            }
            byte[] to = java.util.Arrays.copyOfRange(b, eth + 6, eth + 12);
            control(Packets6.neighborAdvertisement(to, StackConfig.GATEWAY_MAC, gatewayIp6, src, true));
            return;
        }
        if (type != Packets6.ECHO_REQUEST || b[c + 1] != 0 || !src.equals(guestIp6) || !routable6(dst)) {
            return; // router solicitations, MLD reports, our own advertisements echoed: nothing to answer
        }
        if (dst.equals(gatewayIp6)) {
            control(Packets6.icmp(guestMac, StackConfig.GATEWAY_MAC, gatewayIp6, guestIp6, Packets6.ECHO_REPLY, 0,
                    i32(b, c + 4), b, c + 8, len - 8));
            return;
        }
        // as for IPv4: no raw sockets on the host, so a ping elsewhere is refused at once
        if (!allowEgress(Protocol.ICMP, dst.inet(), 0)) {
            counters.denials++;
        }
        unreachable6(b, ip, dst, 1);
    }

    /** ICMPv6 destination unreachable with {@code code} (1 administratively prohibited, 4 port unreachable). */
    private void unreachable6(byte[] b, int ip, Packets6.Addr6 from, int code) {
        int quote = Math.min(Packets6.IP6 + u16(b, ip + 4), Packets6.MAX_QUOTE);
        control(Packets6.icmp(guestMac, StackConfig.GATEWAY_MAC, from, guestIp6, 1, code, 0, b, ip, quote));
    }

    /**
     * Where a v6 flow to {@code dst} goes on the host. The gateway means the host's 127.0.0.1, as over IPv4: glibc
     * guests prefer IPv6 for host.microsandbox.internal, and a server listening on 127.0.0.1 or 0.0.0.0 (the usual
     * case) is not on ::1, while one on :: is on both (decision 1311).
     */
    private InetSocketAddress upstream6(Packets6.Addr6 dst, int port) {
        return new InetSocketAddress(dst.equals(gatewayIp6) ? InetAddress.getLoopbackAddress() : dst.inet(), port);
    }

    private void udp6(byte[] b, int ip, int u, int len, Packets6.Addr6 dst) throws IOException {
        if (len < Packets.UDP) {
            return;
        }
        int ulen = u16(b, u + 4);
        // the checksum is mandatory over IPv6 (RFC 8200 8.1): zero is no checksum, and dropped
        if (ulen < Packets.UDP || ulen > len || u16(b, u + 6) == 0
                || Packets6.transportChecksum(b, ip, u, ulen, Packets.PROTO_UDP) != 0) {
            return;
        }
        int sport = u16(b, u);
        int dport = u16(b, u + 2);
        int dataOff = u + Packets.UDP;
        int dataLen = ulen - Packets.UDP;
        if (dport == 53) {
            byte[] query = java.util.Arrays.copyOfRange(b, dataOff, dataOff + dataLen);
            if (pendingDns >= MAX_PENDING_DNS) {
                return;
            }
            pendingDns++;
            askDns(query, Protocol.UDP, reply -> {
                pendingDns--;
                byte[] r = reply == null ? null : fitDns(reply, config.udpMaxPayload() - (Packets6.IP6 - Packets.IP));
                if (r != null && canSend(Packets.ETH + Packets6.IP6 + Packets.UDP + r.length)) {
                    data(Packets6.udp(guestMac, StackConfig.GATEWAY_MAC, dst, guestIp6, 53, sport, r, 0, r.length));
                }
            });
            return;
        }
        Flow6 k = new Flow6(sport, dst, dport);
        UdpFlow flow = udp.get(k);
        if (flow == null) {
            if (full() || !allowEgress(Protocol.UDP, dst.inet(), dport)) {
                counters.denials++;
                unreachable6(b, ip, dst, 1);
                return;
            }
            DatagramChannel ch;
            try {
                ch = dialer.udp(upstream6(dst, dport));
            } catch (IOException e) {
                unreachable6(b, ip, dst, 4);
                return;
            }
            flow = new UdpFlow(k, sport, 0, dst, dport, ch);
            udp.put(k, flow);
            counters.open = tcp.size() + udp.size();
            counters.total++;
            loop.register(ch, SelectionKey.OP_READ, flow);
        }
        flow.lastActive = System.nanoTime();
        try {
            flow.channel.write(ByteBuffer.wrap(b, dataOff, dataLen));
        } catch (PortUnreachableException e) {
            unreachable6(b, ip, dst, 4);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "network: udp send failed", e);
        }
    }

    private void tcp6(byte[] b, int ip, int t, int len, Packets6.Addr6 dst) throws IOException {
        if (len < Packets.TCP || Packets6.transportChecksum(b, ip, t, len, Packets.PROTO_TCP) != 0) {
            return;
        }
        int hdr = ((b[t + 12] & 0xf0) >>> 4) * 4;
        if (hdr < Packets.TCP || hdr > len) {
            return;
        }
        int sport = u16(b, t);
        int dport = u16(b, t + 2);
        int seq = i32(b, t + 4);
        int ack = i32(b, t + 8);
        int flags = b[t + 13] & 0x3f;
        int window = u16(b, t + 14);
        Flow6 k = new Flow6(sport, dst, dport);
        TcpConnection c = tcp.get(k);
        if (c != null) {
            c.segment(seq, ack, flags, window, b, t, hdr, len);
            return;
        }
        if ((flags & RST) != 0) {
            return;
        }
        int dataLen = len - hdr;
        if ((flags & (SYN | ACK)) != SYN) {
            if ((flags & ACK) != 0) {
                rstFor6(sport, dst, dport, ack, 0, false);
            } else {
                rstFor6(sport, dst, dport, 0, seq + dataLen + ((flags & Packets.FIN) != 0 ? 1 : 0), true);
            }
            return;
        }
        boolean isDns = dport == 53;
        if (full() || !isDns && !allowEgress(Protocol.TCP, dst.inet(), dport)) {
            counters.denials++;
            rstFor6(sport, dst, dport, 0, seq + 1, true);
            return;
        }
        SocketChannel ch = null;
        if (!isDns) {
            try {
                ch = dialer.tcp(upstream6(dst, dport), dst.inet());
            } catch (IOException e) {
                rstFor6(sport, dst, dport, 0, seq + 1, true);
                return;
            }
        }
        c = new TcpConnection(this, k, sport, 0, dst, dport, isDns, config.flowBuffer());
        tcp.put(k, c);
        counters.open = tcp.size() + udp.size();
        counters.total++;
        try {
            c.guestSyn(seq, window, b, t, t + hdr, ch);
        } catch (IOException e) {
            c.abort();
        }
    }

    void rstFor6(int guestPort, Packets6.Addr6 remote, int remotePort, int seq, int ack, boolean withAck) {
        control(tcpFrame6(remote, remotePort, guestPort, seq, ack, withAck ? RST | ACK : RST, 0, null, null, 0, 0));
    }

    byte[] tcpFrame6(Packets6.Addr6 remote, int remotePort, int guestPort, int seq, int ack, int flags, int window,
            byte[] options, byte[] data, int off, int len) {
        return Packets6.tcp(guestMac, StackConfig.GATEWAY_MAC, remote, guestIp6, remotePort, guestPort, seq, ack, flags,
                window, options, data, off, len);
    }

    // ---- frames to the guest

    /** Room for a data frame of {@code len} bytes on the link and in the ingress rate limit. */
    boolean canSend(int len) {
        if (link.room() < len + 4 + 512) {
            return false;
        }
        long now = System.nanoTime();
        long wait = Math.max(waitFor(ingressOps, 1, now), waitFor(ingressBytes, len, now));
        if (wait > 0) {
            if (wake == null) {
                wake = loop.schedule(wait, () -> {
                    wake = null;
                    linkWritable();
                });
            }
            return false;
        }
        return true;
    }

    /** Frames still wait on the link for QEMU to take them: a frame queued now leaves after them. */
    boolean linkBusy() {
        return link.queued() > 0;
    }

    /** A rate-limited frame (payload data); the caller checked {@link #canSend}. */
    void data(byte[] frame) {
        long now = System.nanoTime();
        take(ingressOps, 1, now);
        take(ingressBytes, frame.length, now);
        control(frame);
    }

    /** A frame outside the rate limit (ARP, handshakes, ACKs, resets, ICMP errors); dropped if the link is full. */
    void control(byte[] frame) {
        if (link.room() >= frame.length + 4) {
            counters.packetsIn++;
            counters.bytesIn += frame.length;
            link.send(frame);
        }
    }

    void waitForLink(TcpConnection c) {
        waiting.add(c);
    }

    private void linkWritable() {
        if (waiting.isEmpty()) {
            return;
        }
        List<TcpConnection> ready = new ArrayList<>(waiting);
        waiting.clear();
        for (TcpConnection c : ready) {
            c.pump();
        }
    }

    // ---- closing

    private void closeListeners() {
        listeners.forEach(GuestLink::closeQuietly);
        udpListeners.forEach(u -> GuestLink.closeQuietly(u.channel));
    }

    /** Resets every flow, releases every socket and stops connecting to QEMU. */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable stop = () -> {
            closed = true;
            for (TcpConnection c : new ArrayList<>(tcp.values())) {
                c.abort();
            }
            for (UdpFlow f : new ArrayList<>(udp.values())) {
                f.closeFlow();
            }
            if (sweep != null) {
                sweep.cancel();
            }
            if (wake != null) {
                wake.cancel();
            }
            closeListeners();
            link.close();
            done.complete(null);
        };
        if (loop.inLoop()) {
            stop.run();
            return;
        }
        loop.execute(stop);
        try {
            done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "network: closing a stack timed out", e);
        }
    }
}
