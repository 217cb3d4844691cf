package io.msb.network.internal.stack;

import static io.msb.network.internal.stack.Packets.ETH;
import static io.msb.network.internal.stack.Packets.PROTO_TCP;
import static io.msb.network.internal.stack.Packets.PROTO_UDP;
import static io.msb.network.internal.stack.Packets.TCP;
import static io.msb.network.internal.stack.Packets.UDP;
import static io.msb.network.internal.stack.Packets.put16;
import static io.msb.network.internal.stack.Packets.put32;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The IPv6 side of {@link Packets} (decision 1311): the fixed 40-byte header (no extension headers sent or
 * accepted), ICMPv6 with neighbour advertisements, UDP and TCP with the IPv6 pseudo-header. Addresses are
 * 16-byte arrays; {@link Addr6} holds one as two longs where a value with equality is needed (flow keys).
 */
public final class Packets6 {
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    public static final int IP6 = 40;
    public static final int PROTO_ICMP6 = 58;
    public static final int ECHO_REQUEST = 128;
    public static final int ECHO_REPLY = 129;
    public static final int NEIGHBOR_SOLICITATION = 135;
    public static final int NEIGHBOR_ADVERTISEMENT = 136;
    /** ICMPv6 errors quote at most this much of the offending packet (the minimum MTU, 1280, less headers). */
    static final int MAX_QUOTE = 1280 - IP6 - 8;

    private Packets6() {
    }

    /** An IPv6 address as two longs: a flow key part with value equality, and cheap to build from a frame. */
    public record Addr6(long hi, long lo) {
        static Addr6 of(byte[] b, int off) {
            return new Addr6(i64(b, off), i64(b, off + 8));
        }

        public static Addr6 of(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != 16) {
                throw new IllegalArgumentException("not an IPv6 address: " + a);
            }
            return of(b, 0);
        }

        public byte[] bytes() {
            byte[] b = new byte[16];
            put64(b, 0, hi);
            put64(b, 8, lo);
            return b;
        }

        public Inet6Address inet() {
            try {
                return (Inet6Address) InetAddress.getByAddress(bytes());
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The same /64 with interface identifier {@code id} (the gateway is ::1, the guest ::2). */
        public Addr6 withInterface(long id) {
            return new Addr6(hi, id);
        }

        boolean multicast() {
            return (hi >>> 56) == 0xff;
        }

        boolean unspecified() {
            return hi == 0 && lo == 0;
        }

        boolean equalsAt(byte[] b, int off) {
            return i64(b, off) == hi && i64(b, off + 8) == lo;
        }

        /** RFC 5952 text: lower case, the longest run of two or more zero groups as "::". */
        @Override
        public String toString() {
            int[] g = new int[8];
            for (int i = 0; i < 4; i++) {
                g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
                g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
            }
            int best = -1;
            int bestLen = 1;
            for (int i = 0; i < 8;) {
                int j = i;
                while (j < 8 && g[j] == 0) {
                    j++;
                }
                if (j - i > bestLen) {
                    best = i;
                    bestLen = j - i;
                }
                i = j == i ? i + 1 : j;
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                if (i == best) {
                    b.append("::");
                    i += bestLen - 1;
                    continue;
                }
                if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                    b.append(':');
                }
                b.append(Integer.toHexString(g[i]));
            }
            return b.toString();
        }
    }

    static long i64(byte[] b, int off) {
        return (long) Packets.i32(b, off) << 32 | Packets.i32(b, off + 4) & 0xffffffffL;
    }

    static void put64(byte[] b, int off, long v) {
        put32(b, off, (int) (v >>> 32));
        put32(b, off + 4, (int) v);
    }

    /** The pseudo-header sum (RFC 8200 8.1) for addresses at {@code src}/{@code dst} of {@code b}. */
    static int pseudo(byte[] b, int addrs, int proto, int len) {
        return Packets.sum(b, addrs, 32, 0) + (len >>> 16) + (len & 0xffff) + proto;
    }

    /**
     * The transport checksum of an upper-layer packet at {@code off} whose IPv6 header (and so its addresses)
     * starts at {@code ip}: 0 when the packet's checksum is right.
     */
    public static int transportChecksum(byte[] b, int ip, int off, int len, int proto) {
        return ~Packets.sum(b, off, len, pseudo(b, ip + 8, proto, len)) & 0xffff;
    }

    /** A frame with Ethernet and IPv6 headers for {@code payload} bytes of {@code next}. */
    private static byte[] ipv6(byte[] dstMac, byte[] srcMac, Addr6 src, Addr6 dst, int next, int payload, int hops) {
        byte[] f = new byte[ETH + IP6 + payload];
        System.arraycopy(dstMac, 0, f, 0, 6);
        System.arraycopy(srcMac, 0, f, 6, 6);
        put16(f, 12, ETHERTYPE_IPV6);
        f[ETH] = 0x60;
        put16(f, ETH + 4, payload);
        f[ETH + 6] = (byte) next;
        f[ETH + 7] = (byte) hops;
        put64(f, ETH + 8, src.hi());
        put64(f, ETH + 16, src.lo());
        put64(f, ETH + 24, dst.hi());
        put64(f, ETH + 32, dst.lo());
        return f;
    }

    public static byte[] tcp(byte[] dstMac, byte[] srcMac, Addr6 src, Addr6 dst, int srcPort, int dstPort, int seq,
            int ack, int flags, int window, byte[] options, byte[] data, int dataOff, int dataLen) {
        int optLen = options == null ? 0 : options.length;
        int hdr = TCP + optLen;
        byte[] f = ipv6(dstMac, srcMac, src, dst, PROTO_TCP, hdr + dataLen, 64);
        int t = ETH + IP6;
        Packets.tcpHeader(f, t, hdr, srcPort, dstPort, seq, ack, flags, window, options, data, dataOff, dataLen);
        put16(f, t + 16, transportChecksum(f, ETH, t, hdr + dataLen, PROTO_TCP));
        return f;
    }

    public static byte[] udp(byte[] dstMac, byte[] srcMac, Addr6 src, Addr6 dst, int srcPort, int dstPort,
            byte[] data, int dataOff, int dataLen) {
        byte[] f = ipv6(dstMac, srcMac, src, dst, PROTO_UDP, UDP + dataLen, 64);
        int u = ETH + IP6;
        put16(f, u, srcPort);
        put16(f, u + 2, dstPort);
        put16(f, u + 4, UDP + dataLen);
        System.arraycopy(data, dataOff, f, u + UDP, dataLen);
        int c = transportChecksum(f, ETH, u, UDP + dataLen, PROTO_UDP);
        put16(f, u + 6, c == 0 ? 0xffff : c); // zero means "no checksum", which IPv6 forbids
        return f;
    }

    /** ICMPv6 with a 4-byte rest-of-header ({@code rest}) and a body; hop limit 255 (neighbour discovery needs it). */
    public static byte[] icmp(byte[] dstMac, byte[] srcMac, Addr6 src, Addr6 dst, int type, int code, int rest,
            byte[] body, int bodyOff, int bodyLen) {
        byte[] f = ipv6(dstMac, srcMac, src, dst, PROTO_ICMP6, 8 + bodyLen, 255);
        int c = ETH + IP6;
        f[c] = (byte) type;
        f[c + 1] = (byte) code;
        put32(f, c + 4, rest);
        System.arraycopy(body, bodyOff, f, c + 8, bodyLen);
        put16(f, c + 2, transportChecksum(f, ETH, c, 8 + bodyLen, PROTO_ICMP6));
        return f;
    }

    /**
     * A neighbour advertisement (RFC 4861 4.4) for {@code target} at {@code mac}: router, solicited and override
     * set, with the target link-layer address option.
     */
    public static byte[] neighborAdvertisement(byte[] dstMac, byte[] mac, Addr6 target, Addr6 dst, boolean solicited) {
        byte[] body = new byte[16 + 8];
        put64(body, 0, target.hi());
        put64(body, 8, target.lo());
        body[16] = 2; // target link-layer address
        body[17] = 1; // in units of 8 bytes
        System.arraycopy(mac, 0, body, 18, 6);
        int flags = 0x80000000 | (solicited ? 0x40000000 : 0) | 0x20000000;
        return icmp(dstMac, mac, target, dst, NEIGHBOR_ADVERTISEMENT, 0, flags, body, 0, body.length);
    }

    /** A neighbour solicitation from {@code src} for {@code target}, to its solicited-node multicast address. */
    public static byte[] neighborSolicitation(byte[] mac, Addr6 src, Addr6 target) {
        byte[] body = new byte[16 + 8];
        put64(body, 0, target.hi());
        put64(body, 8, target.lo());
        body[16] = 1; // source link-layer address
        body[17] = 1;
        System.arraycopy(mac, 0, body, 18, 6);
        Addr6 group = new Addr6(0xff02_0000_0000_0000L, 0x0000_0001_ff00_0000L | target.lo() & 0xffffffL);
        byte[] dstMac = {0x33, 0x33, (byte) 0xff, (byte) (target.lo() >>> 16), (byte) (target.lo() >>> 8),
            (byte) target.lo()};
        return icmp(dstMac, mac, src, group, NEIGHBOR_SOLICITATION, 0, 0, body, 0, body.length);
    }
}
