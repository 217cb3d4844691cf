package io.msb.store.internal;

import io.msb.api.spi.DaemonThreads;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Our own thread for what H2's background thread did before WRITE_DELAY=0 (decision 0104) switched it off, once a
 * second: fsync the file, so that a power loss loses at most about a second of commits (a kill -9 loses none:
 * every commit is written before it returns).
 */
final class Housekeeping implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Housekeeping.class.getName());

    static final long PERIOD_MILLIS = 1000;

    private final H2File file;
    private final ScheduledExecutorService timer;

    private Housekeeping(H2File file) {
        this.file = file;
        this.timer = DaemonThreads.scheduler("msb-store-housekeeping");
        timer.scheduleWithFixedDelay(this::runLogged, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts the housekeeping of an open database file. */
    static Housekeeping start(H2File file) {
        return new Housekeeping(file);
    }

    private void runLogged() {
        try {
            file.sync();
        } catch (RuntimeException e) {
            // a thrown exception would cancel the schedule; the next round may succeed
            LOG.log(System.Logger.Level.WARNING, "store housekeeping failed: " + e, e);
        }
    }

    /** Stops the rounds; a round in progress finishes first, so that the file may be closed after. */
    @Override
    public void close() {
        // not shutdownNow: an interrupt would break off a compaction (its file channels close on interrupt)
        timer.shutdown();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
