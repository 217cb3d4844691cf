package io.msb.api.spi;

/**
 * A sandbox network's counters since it was attached. "Out" is guest to outside, "in" is outside to guest.
 *
 * @param denials flows refused by the policy or a limit
 */
public record NetworkCounters(long bytesOut, long bytesIn, long packetsOut, long packetsIn,
        long connectionsOpen, long connectionsTotal, long denials) {
}
