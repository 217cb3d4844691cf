package io.msb.store.internal;

import io.msb.api.Check;
import io.msb.api.MsbException;
import io.msb.api.spi.SecretStore;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import io.msb.api.store.VolumeStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * acknowledged commits (0108); {@link H2File} compacts the file instead.
     */
    static final String SETTINGS = ";LOCK_TIMEOUT=10000;WRITE_DELAY=0;REUSE_SPACE=FALSE;MAX_COMPACT_TIME=0";

    private final Database database;
    private final SandboxStore sandboxes;
    private final ImageStore images;
    private final VolumeStore volumes;
    private final JdbcSecretStore secrets;

    private H2Store(Database database, Path home) {
        this.database = database;
        this.sandboxes = new JdbcSandboxStore(database);
        this.images = new JdbcImageStore(database);
        this.volumes = new JdbcVolumeStore(database);
        this.secrets = new JdbcSecretStore(database, home);
    }

    /** Opens (creating and migrating as needed) the store of the given msb home, outside OSGi. */
    public static H2Store open(Path home, int maxConnections) {
        return open(new OsgiDataSourceFactory(org.h2.Driver.load()), home, maxConnections,
                StoreConfig.COMPACT_ABOVE_MIB);
    }

    /**
     * Opens the store of the given msb home through a JDBC DataSourceFactory for H2.
     *
     * @param compactAboveMib the size above which the open database file is compacted (see {@link H2File})
     */
    public static H2Store open(DataSourceFactory factory, Path home, int maxConnections, int compactAboveMib) {
        return new H2Store(new Database(H2File.open(factory, home, maxConnections, compactAboveMib)), home);
    }

    /** Sandboxes and their runs. */
    public SandboxStore sandboxes() {
        return sandboxes;
    }

    /** Image references, manifests and layers. */
    public ImageStore images() {
        return images;
    }

    /** Named volumes. */
    public VolumeStore volumes() {
        return volumes;
    }

    /** Secret values, encrypted under the home's key (decision 1315). */
    public SecretStore secrets() {
        return secrets;
    }

    /** Stops housekeeping and closes the database; the stores refuse calls afterwards. */
    @Override
    public void close() {
        database.close();
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
