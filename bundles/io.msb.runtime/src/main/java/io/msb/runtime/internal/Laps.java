package io.msb.runtime.internal;

import java.lang.System.Logger.Level;

/** Named intervals of one operation, logged at DEBUG when it ends: where a create's time goes. */
final class Laps {
    private static final System.Logger LOG = System.getLogger(Laps.class.getName());
    private final String what;
    private final StringBuilder laps = new StringBuilder();
    private final long start = System.nanoTime();
    private long last = start;

    Laps(String what) {
        this.what = what;
    }

    /** Ends the interval since the previous lap (or the start) under {@code name}. */
    void lap(String name) {
        long now = System.nanoTime();
        laps.append(laps.length() == 0 ? "" : ", ").append(name).append(' ')
                .append(String.format("%.1f", (now - last) / 1e6)).append(" ms");
        last = now;
    }

    void log() {
        LOG.log(Level.DEBUG, () -> String.format("%s: %s; %.1f ms in all", what, laps, (System.nanoTime() - start) / 1e6));
    }
}
