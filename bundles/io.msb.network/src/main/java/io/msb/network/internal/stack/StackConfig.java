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
 */
public record StackConfig(Path linkPath, byte[] guestMac, int guestIp, int maxConnections, RateLimiter rateLimiter,
        List<PublishedPort> ports, int flowBuffer, long udpIdleMillis) {
    public static final int MTU = 1500;
    public static final int MSS = MTU - Packets.IP - Packets.TCP;
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
    }

    public int gatewayIp() {
        return guestIp - 1;
    }

    @Override
    public byte[] guestMac() {
        return guestMac.clone();
    }
}
