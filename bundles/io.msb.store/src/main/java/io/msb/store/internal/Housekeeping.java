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
 * a second: fsync the file, so that a power loss loses at most about a second of commits (a kill -9 loses none:
 * every commit is written before it returns). Nothing is compacted while the store is open: chunks are never
 * reused (0108), so rewritten pages would only grow the file; it is compacted when the store opens.
 */
final class Housekeeping implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Housekeeping.class.getName());

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

    /** One round: fsync the file. */
    static void round(MVStore store) {
        if (!store.isClosed()) {
            store.sync();
        }
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
