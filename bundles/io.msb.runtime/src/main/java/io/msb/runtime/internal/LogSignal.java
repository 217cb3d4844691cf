package io.msb.runtime.internal;

/** Tells a sandbox's log followers that something was written: a version number they wait to change. */
final class LogSignal {
    private long version;

    synchronized long version() {
        return version;
    }

    synchronized void changed() {
        version++;
        notifyAll();
    }

    /** Waits until the version is no longer {@code seen}, at most {@code nanos}. */
    synchronized void await(long seen, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (version == seen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
