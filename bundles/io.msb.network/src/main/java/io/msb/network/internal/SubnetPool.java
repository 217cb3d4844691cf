package io.msb.network.internal;

import io.msb.api.InvalidConfigException;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out /30 blocks from an IPv4 pool: in each, the gateway is {@code .1} and the guest {@code .2}
 * (microsandbox's layout: gateway = guest - 1). Thread-safe.
 */
final class SubnetPool {
    private final int base;
    private final int blocks;
    private final Set<Integer> used = new HashSet<>();
    private int next;

    SubnetPool(String cidr, String field) {
        int slash = cidr.indexOf('/');
        int prefix;
        try {
            prefix = slash < 0 ? -1 : Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        int net = parse(slash < 0 ? cidr : cidr.substring(0, slash));
        if (prefix < 1 || prefix > 30 || net == 0) {
            throw new InvalidConfigException(field, field + " must be an IPv4 block with a prefix of 1..30, e.g."
                    + " 172.16.0.0/12: " + cidr);
        }
        int mask = (int) (0xffffffffL << (32 - prefix));
        base = net & mask;
        blocks = 1 << (30 - prefix);
    }

    static int parse(String dotted) {
        String[] p = dotted.split("\\.", -1);
        if (p.length != 4) {
            return 0;
        }
        int a = 0;
        for (String s : p) {
            int v;
            try {
                v = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                return 0;
            }
            if (v < 0 || v > 255 || s.isEmpty() || s.length() > 3) {
                return 0;
            }
            a = a << 8 | v;
        }
        return a;
    }

    boolean contains(int guest) {
        return Integer.compareUnsigned(guest - base, blocks * 4) < 0;
    }

    /** The number of {@code guest}'s /30: from the pool's start inside the pool, else from 0.0.0.0 (decision 1310). */
    int index(int guest) {
        return contains(guest) ? (guest - base) >>> 2 : guest >>> 2;
    }

    /** Takes {@code guest}'s block (in the pool or not) if it is laid out as .2 in its /30 and free. */
    synchronized boolean take(int guest) {
        if ((guest & 3) != 2) {
            return false;
        }
        return used.add(guest);
    }

    /** The next free guest address. */
    synchronized int allocate() {
        for (int i = 0; i < blocks; i++) {
            int g = base + ((next + i) % blocks) * 4 + 2;
            if (used.add(g)) {
                next = (next + i + 1) % blocks;
                return g;
            }
        }
        throw new IllegalStateException("the network pool is exhausted: " + blocks + " sandboxes attached");
    }

    synchronized void release(int guest) {
        used.remove(guest);
    }
}
