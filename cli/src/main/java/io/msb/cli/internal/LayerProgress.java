package io.msb.cli.internal;

/** One layer's bytes over time, for its bar, rate and ETA. */
final class LayerProgress {
    final String digest;
    final long total;
    final long startNanos;
    long done;
    long lastNanos;

    LayerProgress(String digest, long total, long nowNanos) {
        this.digest = digest;
        this.total = total;
        this.startNanos = nowNanos;
        this.lastNanos = nowNanos;
    }

    boolean finished() {
        return done >= total;
    }

    /** Bytes per second since the layer's first event; 0 until some time has passed. */
    double rate() {
        double secs = (lastNanos - startNanos) / 1e9;
        return secs > 0.05 ? done / secs : 0;
    }

    /** Seconds left at the current rate, or -1 when not known yet. */
    long etaSeconds() {
        double rate = rate();
        return rate > 0 ? (long) Math.ceil((total - done) / rate) : -1;
    }

    double seconds() {
        return (lastNanos - startNanos) / 1e9;
    }
}
