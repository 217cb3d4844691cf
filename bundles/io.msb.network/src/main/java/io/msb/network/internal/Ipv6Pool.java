package io.msb.network.internal;

import io.msb.api.InvalidConfigException;
import io.msb.network.internal.stack.Packets6.Addr6;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * A sandbox's IPv6 /64 out of an IPv6 pool (decision 1310): the /64 numbered by the sandbox's IPv4 /30 (its index
 * in the IPv4 pool, modulo the pool's /64s), so the IPv4 pool's allocation, already unique and remembered, makes
 * the IPv6 one too, with no second allocator. In the /64 the gateway is ::1 and the guest ::2. Immutable.
 */
final class Ipv6Pool {
    /** The pool's network as two longs, and the mask of the subnet bits a /64 takes from it. */
    private final long hi;
    private final long subnetMask;

    private Ipv6Pool(long hi, long subnetMask) {
        this.hi = hi;
        this.subnetMask = subnetMask;
    }

    /** {@code cidr} like fd42:6d73:62::/48, with a prefix of 1..64; {@code field} names it in errors. */
    static Ipv6Pool parse(String cidr, String field) {
        int slash = cidr.indexOf('/');
        int prefix = -1;
        InetAddress net = null;
        try {
            prefix = slash < 0 ? -1 : Integer.parseInt(cidr.substring(slash + 1));
            String literal = slash < 0 ? "" : cidr.substring(0, slash);
            if (literal.indexOf(':') >= 0) {
                net = InetAddress.getByName(literal); // a literal with a colon is never looked up
            }
        } catch (NumberFormatException | java.net.UnknownHostException e) {
            net = null;
        }
        if (!(net instanceof Inet6Address) || prefix < 1 || prefix > 64) {
            throw new InvalidConfigException(field, field + " must be an IPv6 block with a prefix of 1..64, e.g."
                    + " fd42:6d73:62::/48: " + cidr);
        }
        long netHi = Addr6.of(net).hi();
        long prefixMask = -1L << (64 - prefix); // prefix >= 1, so the shift is < 64
        long subnets = prefix == 64 ? 0 : ~prefixMask;
        return new Ipv6Pool(netHi & prefixMask, subnets);
    }

    /** The guest's address, ::2 of the /64 numbered {@code index} (modulo the pool's /64s). */
    Addr6 guest(int index) {
        return new Addr6(hi | (index & 0xffffffffL & subnetMask), 2);
    }

    /**
     * Checks an {@code interface.ipv6_address}: a unicast address that is not the /64's ::, nor its ::1 (the
     * gateway's), nor link-local, loopback or an IPv6 spelling of IPv4.
     */
    static Addr6 checkGuest(Inet6Address a) {
        Addr6 g = Addr6.of(a);
        boolean bad = a.isMulticastAddress() || a.isLinkLocalAddress() || a.isLoopbackAddress()
                || a.isAnyLocalAddress() || g.hi() == 0 || g.lo() == 0 || g.lo() == 1;
        if (bad) {
            throw new InvalidConfigException("interface.ipv6_address", "interface.ipv6_address must be a unicast,"
                    + " global or unique local address other than ::0 and ::1 of its /64 (the gateway is ::1), got "
                    + a.getHostAddress());
        }
        return g;
    }
}
