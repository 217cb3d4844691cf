package io.msb.network.internal.stack;

import io.msb.api.network.PublishedPort;
import io.msb.api.network.RateLimiter;
import java.nio.file.Path;
import java.util.List;

/**
 * One sandbox network's settings.
 *
 * @param linkPath QEMU's listening stream socket
 * @param guestIp the guest's address; the gateway is {@code guestIp - 1} in its /30
 * @param flowBuffer bytes buffered per TCP flow and direction (bounds memory and sets the window)
 * @param udpIdleMillis a UDP flow with no traffic for this long is closed
 * @param guestIp6 the guest's IPv6 address, or null for an IPv4-only network; the gateway is ::1 of its /64
 *     (decision 1310)
 */
public record StackConfig(Path linkPath, byte[] guestMac, int guestIp, int maxConnections, RateLimiter rateLimiter,
        List<PublishedPort> ports, int flowBuffer, long udpIdleMillis, int mtu, Packets6.Addr6 guestIp6) {
    /** Ethernet's MTU: the smallest a sandbox may choose. */
    public static final int MTU = 1500;
    public static final int MSS = MTU - Packets.IP - Packets.TCP;
    /**
     * The guest's MTU unless the sandbox sets one (decision 1180): the largest Ethernet frame QEMU's stream framing
     * carries, as passt does, rounded down to 32-bit words. Under TCG the guest's cost is per frame, not per byte.
     */
    public static final int MAX_MTU = 65520;
    /** The gateway's MAC: locally administered, "msb". */
    public static final byte[] GATEWAY_MAC = {0x02, 0x6d, 0x73, 0x62, 0x00, 0x01};
    public static final int DEFAULT_FLOW_BUFFER = 256 * 1024;

    public StackConfig {
        guestMac = guestMac.clone();
        ports = List.copyOf(ports);
        rateLimiter = rateLimiter == null ? RateLimiter.UNLIMITED : rateLimiter;
        if (flowBuffer < 4 * MSS) {
            throw new IllegalArgumentException("flowBuffer must be at least " + 4 * MSS + ": " + flowBuffer);
        }
        if (mtu < MTU || mtu > MAX_MTU) {
            throw new IllegalArgumentException("mtu must be " + MTU + " to " + MAX_MTU + ": " + mtu);
        }
    }

    /** IPv4 only. */
    public StackConfig(Path linkPath, byte[] guestMac, int guestIp, int maxConnections, RateLimiter rateLimiter,
            List<PublishedPort> ports, int flowBuffer, long udpIdleMillis, int mtu) {
        this(linkPath, guestMac, guestIp, maxConnections, rateLimiter, ports, flowBuffer, udpIdleMillis, mtu, null);
    }

    /** With Ethernet's MTU. */
    public StackConfig(Path linkPath, byte[] guestMac, int guestIp, int maxConnections, RateLimiter rateLimiter,
            List<PublishedPort> ports, int flowBuffer, long udpIdleMillis) {
        this(linkPath, guestMac, guestIp, maxConnections, rateLimiter, ports, flowBuffer, udpIdleMillis, MTU);
    }

    /** The largest TCP payload in one frame either way. */
    public int mss() {
        return mtu - Packets.IP - Packets.TCP;
    }

    /** The largest UDP payload in one frame either way. */
    public int udpMaxPayload() {
        return mtu - Packets.IP - Packets.UDP;
    }

    public int gatewayIp() {
        return guestIp - 1;
    }

    /** The IPv6 gateway, ::1 in the guest's /64, or null without IPv6. */
    public Packets6.Addr6 gatewayIp6() {
        return guestIp6 == null ? null : guestIp6.withInterface(1);
    }

    @Override
    public byte[] guestMac() {
        return guestMac.clone();
    }
}
