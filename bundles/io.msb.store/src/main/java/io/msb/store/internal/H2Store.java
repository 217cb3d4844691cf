package io.msb.store.internal;

import io.msb.api.Check;
import io.msb.api.MsbException;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.ConnectionPoolDataSource;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.mvstore.MVStoreTool;
import org.h2.util.OsgiDataSourceFactory;
import org.osgi.service.jdbc.DataSourceFactory;

/**
 * The store's H2 database under an msb home, opened outside OSGi with its store services. The OSGi component
 * ({@link StoreComponent}) passes the registered {@link DataSourceFactory}; plain Java callers (tests,
 * benchmarks, tools) use {@link #open(Path, int)}, which builds the same factory over {@code org.h2.Driver}
 * directly, so both take one code path.
 */
public final class H2Store implements AutoCloseable {
    /**
     * Writers of one sandbox row queue behind each other for up to 10 s instead of failing after H2's
     * default 1 s. WRITE_DELAY=0: every commit writes its chunk before it returns and there is no background
     * writer, whose asynchronous stores let a later CHECKPOINT return before a commit reached the file
     * (docs/decisions/0104). REUSE_SPACE=FALSE: every chunk is appended; with space reuse a kill -9 lost the last
     * acknowledged commits (0108); the file is compacted each time the store opens instead.
     */
    static final String SETTINGS = ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;REUSE_SPACE=FALSE";

    private final Database database;
    private final SandboxStore sandboxes;
    private final ImageStore images;

    private H2Store(Database database) {
        this.database = database;
        this.sandboxes = new JdbcSandboxStore(database);
        this.images = new JdbcImageStore(database);
    }

    /** Opens (creating and migrating as needed) the store of the given msb home, outside OSGi. */
    public static H2Store open(Path home, int maxConnections) {
        return open(new OsgiDataSourceFactory(org.h2.Driver.load()), home, maxConnections);
    }

    /** Opens the store of the given msb home through a JDBC DataSourceFactory for H2. */
    public static H2Store open(DataSourceFactory factory, Path home, int maxConnections) {
        JdbcConnectionPool pool = pool(factory, home, maxConnections);
        return new H2Store(new Database(pool, withHousekeeping(pool)));
    }

    /** Sandboxes and their runs. */
    public SandboxStore sandboxes() {
        return sandboxes;
    }

    /** Image references, manifests and layers. */
    public ImageStore images() {
        return images;
    }

    /** Stops housekeeping and closes the database; both stores refuse calls afterwards. */
    @Override
    public void close() {
        database.close();
    }

    /**
     * Starts the housekeeping of the pool's database (decision 0105) and returns what closes both: housekeeping
     * stops first, then the pool is disposed, which closes the database.
     */
    static AutoCloseable withHousekeeping(JdbcConnectionPool pool) {
        Housekeeping housekeeping;
        try {
            housekeeping = Housekeeping.start(pool);
        } catch (RuntimeException e) {
            pool.dispose();
            throw e;
        }
        return () -> {
            try {
                housekeeping.close();
            } finally {
                pool.dispose();
            }
        };
    }

    static JdbcConnectionPool pool(DataSourceFactory factory, Path home, int maxConnections) {
        if (maxConnections < 1) {
            throw Check.invalid("maxConnections", "must be at least 1: " + maxConnections);
        }
        Properties props = new Properties();
        props.setProperty(DataSourceFactory.JDBC_URL, url(home));
        props.setProperty(DataSourceFactory.JDBC_USER, "msb");
        props.setProperty(DataSourceFactory.JDBC_PASSWORD, "");
        try {
            ConnectionPoolDataSource source = factory.createConnectionPoolDataSource(props);
            recover(source);
            compact(database(home));
            JdbcConnectionPool pool = JdbcConnectionPool.create(source);
            pool.setMaxConnections(maxConnections);
            return pool;
        } catch (SQLException e) {
            throw new MsbException("cannot open the store database: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the database once and closes it, so that H2 rolls back (or finishes) the transactions a crash left open
     * while their undo logs still name the right maps: a compaction copies every map under a new id, after which
     * the rollback finds none of them and the open transactions' rows would stay, visible as if committed.
     */
    private static void recover(ConnectionPoolDataSource source) throws SQLException {
        source.getPooledConnection().close(); // the last connection closing closes the database
    }

    /**
     * Rewrites the database file with its live data only, into a new file that atomically replaces it (H2's
     * MVStoreTool): what bounds the file, since chunks are never reused while it is open (decision 0108). A kill
     * during it leaves the old file whole. Only for a database closed cleanly: see {@link #recover}.
     */
    static void compact(Path database) {
        Path file = database.resolveSibling(database.getFileName() + ".mv.db"); // H2's file for the name
        if (!Files.exists(file)) {
            return;
        }
        try {
            MVStoreTool.compact(file.toString(), false);
        } catch (RuntimeException e) {
            throw new MsbException("cannot compact the store database " + file + ": " + e.getMessage(), e);
        }
    }

    /** The database of the home, {@code $home/db/msb}, as H2 names it (without the file's extension). */
    static Path database(Path home) {
        return home.toAbsolutePath().resolve("db").resolve("msb");
    }

    /** The JDBC URL of the {@linkplain #database database}; creates its directory. */
    static String url(Path home) {
        Path database = database(home);
        Path dir = database.getParent();
        String file = database.toString();
        // the URL's settings start at ';', so a path holding one would be misread
        if (file.indexOf(';') >= 0) {
            throw Check.invalid("home", "must not contain ';': " + home);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new MsbException("cannot create the store directory " + dir + ": " + e.getMessage(), e);
        }
        return "jdbc:h2:file:" + file + SETTINGS;
    }
}
