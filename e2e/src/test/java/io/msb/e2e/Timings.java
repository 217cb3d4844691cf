package io.msb.e2e;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Milliseconds of repeated steps, printed as percentiles by the benches (never asserted). */
final class Timings {
    interface Step {
        void run() throws Exception;
    }

    private final String what;
    private final List<Double> ms = new ArrayList<>();

    Timings(String what) {
        this.what = what;
    }

    /** Runs and times {@code step}. */
    void time(Step step) throws Exception {
        long t0 = System.nanoTime();
        step.run();
        add((System.nanoTime() - t0) / 1e6);
    }

    void add(double millis) {
        ms.add(millis);
    }

    /** {@code p}-th percentile (nearest rank) of what was timed. */
    double percentile(double p) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        return s.get(Math.max(0, (int) Math.ceil(p / 100 * s.size()) - 1));
    }

    void print() {
        if (ms.isEmpty()) {
            System.out.printf("%-44s n=0%n", what);
            return;
        }
        System.out.printf("%-44s n=%d p50 %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms%n", what, ms.size(),
                percentile(50), percentile(99), percentile(0), percentile(100));
    }
}
