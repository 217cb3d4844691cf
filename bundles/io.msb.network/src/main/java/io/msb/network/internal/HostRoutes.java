package io.msb.network.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the host's routing table says about reaching the outside. */
final class HostRoutes {
    static final Path IPV6_ROUTES = Path.of("/proc/net/ipv6_route");
    /** RTF_REJECT: an "unreachable" route, which the kernel keeps for ::/0 on lo when nothing else is there. */
    private static final int REJECT = 0x0200;

    private HostRoutes() {
    }

    /** Whether the host has an IPv6 default route that is not a reject route on lo. */
    static boolean ipv6Default() {
        try {
            return ipv6Default(Files.readAllLines(IPV6_ROUTES));
        } catch (IOException | RuntimeException e) {
            return false; // no IPv6 in this kernel, or not Linux
        }
    }

    /** The same over the lines of /proc/net/ipv6_route (dest, prefix, src, src prefix, next hop, metric, refs, use, flags, device). */
    static boolean ipv6Default(List<String> lines) {
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 10 && f[0].equals("00000000000000000000000000000000") && f[1].equals("00")
                    && !f[9].equals("lo") && (Integer.parseInt(f[8], 16) & REJECT) == 0) {
                return true;
            }
        }
        return false;
    }
}
