package io.msb.network.internal.stack;

import io.msb.api.spi.NetworkCounters;

/** A stack's counters: written by its loop thread only, read from anywhere. */
final class Counters {
    volatile long bytesOut;
    volatile long bytesIn;
    volatile long packetsOut;
    volatile long packetsIn;
    volatile long open;
    volatile long total;
    volatile long denials;

    NetworkCounters snapshot() {
        return new NetworkCounters(bytesOut, bytesIn, packetsOut, packetsIn, open, total, denials);
    }
}
