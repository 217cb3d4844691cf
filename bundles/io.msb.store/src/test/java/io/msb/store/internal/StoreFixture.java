package io.msb.store.internal;

import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** Shared helpers: records to insert and a raw JDBC connection to the store's database. */
final class StoreFixture {
    static final Instant T0 = Instant.parse("2026-01-02T03:04:05.123456789Z");

    private StoreFixture() {
    }

    /** A row whose id follows from its name, so that a test can build the row it expects to read back. */
    static SandboxRecord sandbox(String name, Map<String, String> labels) {
        return new SandboxRecord(idOf(name), name, "{\"image\":\"alpine\"}", SandboxStatus.CREATED, false, labels,
                T0, T0);
    }

    static UUID idOf(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A second connection to the same (shared, in-JVM) database, for checks and test-only DDL. */
    static Connection raw(Path home) throws SQLException {
        return DriverManager.getConnection(H2Store.url(home), "msb", "");
    }

    static void sql(Path home, String sql) throws SQLException {
        try (Connection c = raw(home); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    static long count(Path home, String sql) throws SQLException {
        try (Connection c = raw(home); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
