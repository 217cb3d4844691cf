package io.msb.store.internal;

import io.msb.api.Check;
import io.msb.api.MsbException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.ConnectionPoolDataSource;
import javax.sql.DataSource;
import org.h2.jdbc.JdbcConnection;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;
import org.osgi.service.jdbc.DataSourceFactory;

/**
 * The H2 database file of an msb home and the pool of connections on it. Chunks are never reused while the file
 * is open (decision 0108), so the file only grows; what bounds it is compaction, which needs the database closed.
 * So every transaction runs under a shared lock, and {@link #rotate()} takes it exclusively: it closes the
 * database, compacts the file and reopens it, while transactions wait. Every {@value #CHECK_SIZE_EVERY}th
 * transaction checks the file's size and rotates it once it is above the threshold and twice its last compacted
 * size (decision 0109). {@link Housekeeping} fsyncs it each second.
 */
final class H2File implements Database.Connections {
    private static final System.Logger LOG = System.getLogger(H2File.class.getName());
    private static final long MIB = 1024 * 1024;
    /** A cycle of a sandbox's life is ~4 transactions and ~53 KB of file: the file overshoots by ~1 MiB at most. */
    private static final int CHECK_SIZE_EVERY = 64;

    private final ConnectionPoolDataSource source;
    private final Path file;
    private final int maxConnections;
    private final long rotateAboveBytes;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile Opened opened; // replaced only under the exclusive lock; read outside it by rotateIfGrown
    private final AtomicLong transactions = new AtomicLong();
    private boolean closed;
    private Housekeeping housekeeping;

    private H2File(ConnectionPoolDataSource source, Path file, int maxConnections, long rotateAboveBytes) {
        this.source = source;
        this.file = file;
        this.maxConnections = maxConnections;
        this.rotateAboveBytes = rotateAboveBytes;
    }

    /**
     * Compacts the home's database file (what a previous run left grown), then opens a pool of connections on it.
     *
     * @param rotateAboveMib the size above which the open file is rotated (when also twice its compacted size)
     */
    static H2File open(DataSourceFactory factory, Path home, int maxConnections, int rotateAboveMib) {
        if (maxConnections < 1) {
            throw Check.invalid("maxConnections", "must be at least 1: " + maxConnections);
        }
        if (rotateAboveMib < 1) {
            throw Check.invalid("compactAboveMib", "must be at least 1: " + rotateAboveMib);
        }
        Path database = H2Store.database(home);
        H2File file = new H2File(source(factory, home), database.resolveSibling(database.getFileName() + ".mv.db"),
                maxConnections, rotateAboveMib * MIB); // H2's file for the database name
        if (Files.exists(file.file)) { // a new home has nothing to recover or compact
            file.recover();
            compact(file.file);
        }
        file.open();
        file.housekeeping = Housekeeping.start(file);
        return file;
    }

    @Override
    public <T> T with(Database.SqlWork<T> work) throws SQLException {
        T result;
        lock.readLock().lock();
        try {
            if (closed) {
                throw new SQLException("the store database is closed");
            }
            try (Connection c = opened.pool().getConnection()) {
                result = work.run(c);
            }
        } finally {
            lock.readLock().unlock();
        }
        // after the lock is released (a rotation takes it exclusively), and only after work that succeeded: a
        // failure to stat the file must not hide the transaction's own exception
        if (transactions.incrementAndGet() % CHECK_SIZE_EVERY == 0) {
            rotateIfGrown();
        }
        return result;
    }

    /** fsyncs what the commits wrote: they are in the file (WRITE_DELAY=0) but not surely on disk. */
    void sync() {
        lock.readLock().lock();
        try {
            if (!closed) {
                opened.mvStore().sync();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Closes the database, compacts its file and reopens it; transactions wait meanwhile. */
    void rotate() {
        rotate(false);
    }

    /** Rotates when the file is above the threshold and twice its last compacted size. */
    private void rotateIfGrown() {
        if (size() > threshold()) { // checked again under the lock: another thread may have just rotated
            rotate(true);
        }
    }

    private void rotate(boolean onlyIfGrown) {
        lock.writeLock().lock();
        try {
            long before = size();
            if (closed || onlyIfGrown && before <= threshold()) {
                return;
            }
            long start = System.nanoTime();
            opened.pool().dispose(); // no transaction holds a connection: the last one closing closes the database
            try {
                compact(file);
            } catch (MsbException e) {
                LOG.log(System.Logger.Level.WARNING, "store database not compacted, reopened as it was: " + e, e);
            }
            open();
            LOG.log(System.Logger.Level.INFO, "store database file rotated (closed, compacted, reopened): "
                    + "{0} -> {1} KiB in {2} ms", before / 1024, opened.compactedBytes() / 1024,
                    (System.nanoTime() - start) / 1_000_000);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private long threshold() {
        return Math.max(rotateAboveBytes, 2 * opened.compactedBytes());
    }

    private long size() {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new MsbException("cannot read the size of the store database: " + e.getMessage(), e);
        }
    }

    /** The MVStore under the open database, e.g. to check its settings. */
    MVStore mvStore() {
        lock.readLock().lock();
        try {
            return opened.mvStore();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Stops housekeeping, then closes the database; transactions fail afterwards. */
    @Override
    public void close() {
        housekeeping.close(); // before the lock: a round in progress may be waiting for it
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                opened.pool().dispose();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The open database: its pool, the MVStore under it, and the file's size when it was opened (compacted). */
    private record Opened(JdbcConnectionPool pool, MVStore mvStore, long compactedBytes) {
    }

    private void open() {
        JdbcConnectionPool pool = JdbcConnectionPool.create(source);
        pool.setMaxConnections(maxConnections);
        try {
            opened = new Opened(pool, mvStore(pool), Files.size(file));
        } catch (IOException | RuntimeException e) {
            pool.dispose();
            closed = true;
            throw e instanceof MsbException m ? m
                    : new MsbException("cannot open the store database: " + e.getMessage(), e);
        }
    }

    /**
     * Rewrites the database file with its live data only, into a new file that atomically replaces it (H2's
     * MVStoreTool), then fsyncs the file and its directory so that a power loss after the rename finds the new
     * file whole. A kill during it leaves the old file whole.
     */
    static void compact(Path file) {
        try {
            MVStoreTool.compact(file.toString(), false);
            try (FileChannel written = FileChannel.open(file, StandardOpenOption.WRITE)) {
                written.force(true);
            }
            try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException | RuntimeException e) {
            throw new MsbException("cannot compact the store database " + file + ": " + e.getMessage(), e);
        }
    }

    private static ConnectionPoolDataSource source(DataSourceFactory factory, Path home) {
        Properties props = new Properties();
        props.setProperty(DataSourceFactory.JDBC_URL, H2Store.url(home));
        props.setProperty(DataSourceFactory.JDBC_USER, "msb");
        props.setProperty(DataSourceFactory.JDBC_PASSWORD, "");
        try {
            return factory.createConnectionPoolDataSource(props);
        } catch (SQLException e) {
            throw new MsbException("cannot open the store database: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the database once and closes it, so that H2 rolls back (or finishes) the transactions a crash left open
     * while their undo logs still name the right maps: a compaction copies every map under a new id, after which
     * the rollback finds none of them and the open transactions' rows would stay, visible as if committed (0108).
     * A rotation needs none of this: it compacts a database it has just closed itself.
     */
    private void recover() {
        try {
            source.getPooledConnection().close(); // the last connection closing closes the database
        } catch (SQLException e) {
            throw new MsbException("cannot open the store database: " + e.getMessage(), e);
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
            throw new MsbException("cannot reach the H2 MVStore of the store database (H2 internals changed?): "
                    + e, e);
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
