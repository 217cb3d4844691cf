package io.msb.network.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostRoutesTest {
    private static final String ZERO = "00000000000000000000000000000000";

    private static String route(String dest, String prefix, String flags, String dev) {
        return dest + " " + prefix + " " + ZERO + " 00 fd000000000000000000000000000001 00000400 00000002 00000000 "
                + flags + "     " + dev;
    }

    @Test
    void aDefaultRouteOnAnInterfaceCounts() {
        assertTrue(HostRoutes.ipv6Default(List.of(route("fd000000000000000000000000000000", "40", "00000001", "eth0"),
                route(ZERO, "00", "00000003", "eth0"))));
    }

    @Test
    void theKernelsRejectRouteOnLoAndOtherPrefixesDoNot() {
        assertFalse(HostRoutes.ipv6Default(List.of(route(ZERO, "00", "00200200", "lo"),
                route("fe800000000000000000000000000000", "40", "00000001", "eth0"))));
        assertFalse(HostRoutes.ipv6Default(List.of(route(ZERO, "00", "00000201", "eth0"))), "unreachable");
        assertFalse(HostRoutes.ipv6Default(List.of()));
        assertFalse(HostRoutes.ipv6Default(List.of("garbage")));
    }
}
