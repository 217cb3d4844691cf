package io.msb.store.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.OffsetDateTime;

/**
 * Child process of {@link H2StoreRecoveryTest}: leaves the database as a kill -9 in the middle of a transaction
 * would. One connection inserts sandbox {@code uncommitted} without committing; another then commits sandbox
 * {@code committed}, which writes a chunk holding both (WRITE_DELAY=0), the first still open in its undo log. Then
 * the JVM halts without closing anything.
 */
public final class CrashWithOpenTransaction {
    public static void main(String[] args) throws SQLException {
        Path home = Path.of(args[0]);
        H2Store.open(home, 2).close(); // the schema
        Connection open = DriverManager.getConnection(H2Store.url(home), "msb", "");
        open.setAutoCommit(false);
        insert(open, "uncommitted");
        Connection committing = DriverManager.getConnection(H2Store.url(home), "msb", "");
        insert(committing, "committed"); // auto-commit: its commit writes the chunk
        Runtime.getRuntime().halt(0);
    }

    private static void insert(Connection c, String name) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO sandboxes (public_id, name, "
                + "config_json, status, ephemeral, created_at, updated_at) "
                + "VALUES (RANDOM_UUID(), ?, '{}', 'CREATED', FALSE, ?, ?)")) {
            insert.setString(1, name);
            insert.setObject(2, OffsetDateTime.now());
            insert.setObject(3, OffsetDateTime.now());
            insert.executeUpdate();
        }
    }
}
