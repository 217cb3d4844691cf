package io.msb.network.internal.stack;

/**
 * Builds and reads the headers the stack deals in: Ethernet II, ARP, IPv4 (no options sent), ICMP, UDP and
 * TCP. Addresses are IPv4 as ints, MACs as 6-byte arrays.
 */
public final class Packets {
    public static final int ETH = 14;
    public static final int IP = 20;
    public static final int UDP = 8;
    public static final int TCP = 20;
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    private Packets() {
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xff) << 8 | b[off + 1] & 0xff;
    }

    public static int i32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /** The ones' complement sum of {@code len} bytes, folded, starting from {@code sum}. */
    static int sum(byte[] b, int off, int len, int sum) {
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += (b[off + i] & 0xff) << 8 | b[off + i + 1] & 0xff;
        }
        if (i < len) {
            sum += (b[off + i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum;
    }

    public static int checksum(byte[] b, int off, int len) {
        return ~sum(b, off, len, 0) & 0xffff;
    }

    /** The TCP/UDP pseudo-header sum. */
    static int pseudo(int src, int dst, int proto, int len) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
    }

    /** The transport checksum over a segment at {@code off} (header and data) with its pseudo-header. */
    public static int transportChecksum(byte[] b, int off, int len, int src, int dst, int proto) {
        return ~sum(b, off, len, pseudo(src, dst, proto, len)) & 0xffff;
    }

    private static void ethernet(byte[] f, byte[] dst, byte[] src, int type) {
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        put16(f, 12, type);
    }

    /** A frame with Ethernet and IPv4 headers for {@code payload} bytes of protocol {@code proto}. */
    private static byte[] ipv4(byte[] dstMac, byte[] srcMac, int src, int dst, int proto, int payload) {
        byte[] f = new byte[ETH + IP + payload];
        ethernet(f, dstMac, srcMac, ETHERTYPE_IPV4);
        f[ETH] = 0x45;
        put16(f, ETH + 2, IP + payload);
        put16(f, ETH + 6, 0x4000); // don't fragment
        f[ETH + 8] = 64;
        f[ETH + 9] = (byte) proto;
        put32(f, ETH + 12, src);
        put32(f, ETH + 16, dst);
        put16(f, ETH + 10, checksum(f, ETH, IP));
        return f;
    }

    public static byte[] tcp(byte[] dstMac, byte[] srcMac, int src, int dst, int srcPort, int dstPort, int seq,
            int ack, int flags, int window, byte[] options, byte[] data, int dataOff, int dataLen) {
        int optLen = options == null ? 0 : options.length;
        int hdr = TCP + optLen;
        byte[] f = ipv4(dstMac, srcMac, src, dst, PROTO_TCP, hdr + dataLen);
        int t = ETH + IP;
        tcpHeader(f, t, hdr, srcPort, dstPort, seq, ack, flags, window, options, data, dataOff, dataLen);
        put16(f, t + 16, transportChecksum(f, t, hdr + dataLen, src, dst, PROTO_TCP));
        return f;
    }

    /** Writes a TCP header of {@code hdr} bytes (options included) and its payload at {@code t}; the checksum is left 0. */
    static void tcpHeader(byte[] f, int t, int hdr, int srcPort, int dstPort, int seq, int ack, int flags, int window,
            byte[] options, byte[] data, int dataOff, int dataLen) {
        put16(f, t, srcPort);
        put16(f, t + 2, dstPort);
        put32(f, t + 4, seq);
        put32(f, t + 8, ack);
        f[t + 12] = (byte) ((hdr / 4) << 4);
        f[t + 13] = (byte) flags;
        put16(f, t + 14, window);
        if (options != null && options.length > 0) {
            System.arraycopy(options, 0, f, t + TCP, options.length);
        }
        if (dataLen > 0) {
            System.arraycopy(data, dataOff, f, t + hdr, dataLen);
        }
    }

    public static byte[] udp(byte[] dstMac, byte[] srcMac, int src, int dst, int srcPort, int dstPort,
            byte[] data, int dataOff, int dataLen) {
        byte[] f = ipv4(dstMac, srcMac, src, dst, PROTO_UDP, UDP + dataLen);
        int u = ETH + IP;
        put16(f, u, srcPort);
        put16(f, u + 2, dstPort);
        put16(f, u + 4, UDP + dataLen);
        System.arraycopy(data, dataOff, f, u + UDP, dataLen);
        int c = transportChecksum(f, u, UDP + dataLen, src, dst, PROTO_UDP);
        put16(f, u + 6, c == 0 ? 0xffff : c);
        return f;
    }

    /** ICMP with a 4-byte rest-of-header ({@code rest}) and a body. */
    public static byte[] icmp(byte[] dstMac, byte[] srcMac, int src, int dst, int type, int code, int rest,
            byte[] body, int bodyOff, int bodyLen) {
        byte[] f = ipv4(dstMac, srcMac, src, dst, PROTO_ICMP, 8 + bodyLen);
        int c = ETH + IP;
        f[c] = (byte) type;
        f[c + 1] = (byte) code;
        put32(f, c + 4, rest);
        System.arraycopy(body, bodyOff, f, c + 8, bodyLen);
        put16(f, c + 2, checksum(f, c, 8 + bodyLen));
        return f;
    }

    /** An ARP request (op 1) or reply (op 2) for IPv4 over Ethernet. */
    public static byte[] arp(byte[] dstMac, byte[] srcMac, int op, byte[] senderMac, int senderIp, byte[] targetMac,
            int targetIp) {
        byte[] f = new byte[ETH + 28];
        ethernet(f, dstMac, srcMac, ETHERTYPE_ARP);
        int a = ETH;
        put16(f, a, 1);
        put16(f, a + 2, ETHERTYPE_IPV4);
        f[a + 4] = 6;
        f[a + 5] = 4;
        put16(f, a + 6, op);
        System.arraycopy(senderMac, 0, f, a + 8, 6);
        put32(f, a + 14, senderIp);
        System.arraycopy(targetMac, 0, f, a + 18, 6);
        put32(f, a + 24, targetIp);
        return f;
    }

    /** TCP options for a SYN: MSS and, if {@code wscale >= 0}, window scale (padded to 4 bytes). */
    static byte[] synOptions(int mss, int wscale) {
        if (wscale < 0) {
            return new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss};
        }
        return new byte[] {2, 4, (byte) (mss >>> 8), (byte) mss, 1, 3, 3, (byte) wscale};
    }

    public static String ip(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }
}
