package io.msb.network.internal.policy;

import io.msb.api.network.Group;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Set;

/**
 * Puts every address in exactly one destination group, in this order: host (the sandbox's gateway), metadata,
 * loopback, multicast, link_local, private, else public. IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible
 * and NAT64 ({@code 64:ff9b::/96}) IPv6 addresses are classified as the IPv4 address they carry, so spelling
 * a destination differently cannot change its group.
 */
public final class Groups {
    private Groups() {
    }

    public static Group classify(InetAddress address, Set<InetAddress> host) {
        if (host.contains(address)) {
            return Group.HOST;
        }
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return classify4(toInt(b, 0));
        }
        if (carriesIpv4(b)) {
            InetAddress v4 = v4(b);
            return host.contains(v4) ? Group.HOST : classify4(toInt(b, 12));
        }
        return classify6(b);
    }

    /** Whether an IPv6 address carries an IPv4 address in its low 32 bits (mapped, compatible, NAT64). */
    private static boolean carriesIpv4(byte[] b) {
        if (b.length != 16) {
            return false;
        }
        boolean zero80 = true;
        for (int i = 0; i < 10; i++) {
            zero80 &= b[i] == 0;
        }
        boolean mapped = zero80 && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean compatible = zero80 && b[10] == 0 && b[11] == 0 && (toInt(b, 12) & 0xfffffffeL) != 0; // not :: or ::1
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        return mapped || compatible || nat64;
    }

    private static Group classify4(int a) {
        if (a == ip(169, 254, 169, 254) || a == ip(169, 254, 170, 2) || a == ip(100, 100, 100, 200)) {
            return Group.METADATA; // AWS/GCP/Azure/OCI, AWS ECS task metadata, Alibaba Cloud
        }
        if (in(a, 127, 0, 0, 0, 8) || in(a, 0, 0, 0, 0, 8)) {
            return Group.LOOPBACK; // 0.0.0.0/8 reaches the host's own sockets on Linux
        }
        if (in(a, 224, 0, 0, 0, 4) || a == -1) {
            return Group.MULTICAST; // and the limited broadcast 255.255.255.255
        }
        if (in(a, 169, 254, 0, 0, 16)) {
            return Group.LINK_LOCAL;
        }
        if (in(a, 10, 0, 0, 0, 8) || in(a, 172, 16, 0, 0, 12) || in(a, 192, 168, 0, 0, 16)
                || in(a, 100, 64, 0, 0, 10) || in(a, 198, 18, 0, 0, 15) || in(a, 240, 0, 0, 0, 4)) {
            return Group.PRIVATE; // RFC 1918, CGN, benchmarking, reserved: never the public internet
        }
        return Group.PUBLIC;
    }

    private static Group classify6(byte[] b) {
        if (isMetadata6(b)) {
            return Group.METADATA; // AWS IMDS over IPv6, fd00:ec2::254
        }
        boolean zero120 = true;
        for (int i = 0; i < 15; i++) {
            zero120 &= b[i] == 0;
        }
        if (zero120 && (b[15] == 0 || b[15] == 1)) {
            return Group.LOOPBACK; // ::1, and :: (unspecified) which reaches the host itself
        }
        if (b[0] == (byte) 0xff) {
            return Group.MULTICAST;
        }
        if (b[0] == (byte) 0xfe && (b[1] & 0xc0) == 0x80) {
            return Group.LINK_LOCAL; // fe80::/10
        }
        if ((b[0] & 0xfe) == 0xfc || (b[0] == (byte) 0xfe && (b[1] & 0xc0) == 0xc0)) {
            return Group.PRIVATE; // ULA fc00::/7, deprecated site-local fec0::/10
        }
        return Group.PUBLIC;
    }

    private static boolean isMetadata6(byte[] b) {
        int[] ec2 = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
        for (int i = 0; i < 16; i++) {
            if ((b[i] & 0xff) != ec2[i]) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress v4(byte[] b) {
        try {
            return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether an IPv4 or IPv6 address is IPv4 (directly or carried in IPv6 as above). */
    static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address || carriesIpv4(a.getAddress());
    }

    private static int toInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    private static int ip(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    private static boolean in(int addr, int a, int b, int c, int d, int prefix) {
        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        return (addr & mask) == (ip(a, b, c, d) & mask);
    }
}
