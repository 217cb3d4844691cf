package io.msb.store.internal;

import io.msb.api.MsbException;
import java.lang.reflect.InvocationTargetException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

/**
 * What H2's background thread did before WRITE_DELAY=0 (decision 0104) switched it off, from our own thread, once
 * a second (docs/decisions/0105): fsync the file, so that chunks older than a second are on disk and the short
 * retention time of {@link H2Store#SETTINGS} is safe, and rewrite the live pages of mostly-dead chunks, committing
 * synchronously, so those chunks are freed and their space reused. Chunks are never moved.
 */
final class Housekeeping implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Housekeeping.class.getName());

    /** Compact while less than this percentage of the bytes in chunks is live (H2's own housekeeping: 50-90). */
    static final int TARGET_FILL_RATE = 80;
    /** Live bytes rewritten per round at most. */
    static final int WRITE_LIMIT = 1 << 20;
    static final long PERIOD_MILLIS = 1000;

    private final MVStore store;
    private final ScheduledExecutorService timer;

    private Housekeeping(MVStore store) {
        this.store = store;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "msb-store-housekeeping");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::runLogged, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts the housekeeping of the database that the data source's connections are open on. */
    static Housekeeping start(DataSource dataSource) {
        return new Housekeeping(mvStore(dataSource));
    }

    /**
     * One round: fsync, then rewrite sparse chunks older than the retention time and store the result before
     * returning.
     *
     * @return whether anything was rewritten
     */
    static boolean round(MVStore store) {
        if (store.isClosed()) {
            return false;
        }
        store.sync();
        if (!store.compact(TARGET_FILL_RATE, WRITE_LIMIT)) {
            return false;
        }
        store.commit();
        return true;
    }

    private void runLogged() {
        try {
            round(store);
        } catch (RuntimeException e) {
            // a thrown exception would cancel the schedule; the next round may succeed
            LOG.log(System.Logger.Level.WARNING, "store housekeeping failed: " + e, e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            // a round in progress finishes before the pool may close the database under it
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * H2 exports the MVStore API but not the classes that lead to it (org.h2.engine, org.h2.mvstore.db), so the
     * way from a connection to its database's MVStore is taken by name, through public methods of H2 2.5:
     * JdbcConnection.getSession().getDatabase().getStore().getMvStore().
     */
    static MVStore mvStore(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            Object session = call(c.unwrap(JdbcConnection.class), JdbcConnection.class, "getSession");
            Object database = call(session, session.getClass(), "getDatabase");
            Object store = call(database, database.getClass(), "getStore");
            return (MVStore) call(store, store.getClass(), "getMvStore");
        } catch (SQLException | ReflectiveOperationException | ClassCastException e) {
            throw new MsbException("cannot reach the H2 MVStore of the store database for housekeeping "
                    + "(H2 internals changed?): " + e, e);
        }
    }

    private static Object call(Object target, Class<?> type, String method) throws ReflectiveOperationException {
        try {
            return type.getMethod(method).invoke(target);
        } catch (InvocationTargetException e) {
            throw new ReflectiveOperationException(method + " failed: " + e.getCause(), e.getCause());
        }
    }
}
