package io.msb.store.internal;

import io.msb.api.MsbException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings a database up to the schema this code expects. Scripts are class resources named
 * {@code db/V<n>__<description>.sql}; they are listed here rather than discovered, because a bundle
 * cannot portably enumerate its own resources outside OSGi.
 */
final class Migrations {
    /** Every migration, in order; version n is entry n-1. */
    static final List<String> SCRIPTS = List.of("V1__initial.sql", "V2__drop_volumes_and_snapshots.sql",
            "V3__sandbox_public_ids.sql", "V4__volumes.sql", "V5__secrets.sql");

    private static final Pattern NAME = Pattern.compile("V(\\d+)__([a-z0-9_]+)\\.sql");

    private Migrations() {
    }

    /** The newest schema version this code knows. */
    static int latest() {
        return SCRIPTS.size();
    }

    /**
     * Applies every missing migration, each recorded in {@code schema_version}, and refuses a database
     * written by a newer msb. H2 commits DDL implicitly, so a migration is atomic only as far as H2
     * allows; the version row is written last, so an interrupted migration is re-run from its start.
     */
    static void apply(Connection c) throws SQLException {
        apply(c, SCRIPTS);
    }

    /** Applies the given script list (all of {@link #SCRIPTS} in production; tests add versions). */
    static void apply(Connection c, List<String> scripts) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                    + "version INTEGER PRIMARY KEY, description VARCHAR(256) NOT NULL, "
                    + "applied_at TIMESTAMP(9) WITH TIME ZONE NOT NULL)");
        }
        int current = current(c);
        if (current == 0) {
            dropInterruptedFirstMigration(c);
        }
        if (current > scripts.size()) {
            throw new MsbException("database schema version " + current
                    + " is newer than this msb supports (" + scripts.size() + "); upgrade msb");
        }
        for (int v = current + 1; v <= scripts.size(); v++) {
            applyOne(c, v, scripts.get(v - 1));
        }
    }

    /**
     * A kill during V1 leaves the tables it had created (DDL commits at once) but no version row, and re-running V1
     * would fail on them. No store method runs before V1 is recorded, so such tables hold nothing: drop them.
     */
    private static void dropInterruptedFirstMigration(Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT table_name FROM "
                + "information_schema.tables WHERE table_schema = 'PUBLIC' AND table_name <> 'SCHEMA_VERSION'")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        try (Statement st = c.createStatement()) {
            for (String table : tables) {
                st.execute("DROP TABLE IF EXISTS \"" + table + "\" CASCADE");
            }
        }
    }

    static int current(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void applyOne(Connection c, int version, String script) throws SQLException {
        Matcher m = NAME.matcher(script);
        if (!m.matches() || Integer.parseInt(m.group(1)) != version) {
            throw new IllegalStateException("migration " + script + " is not named V" + version + "__<name>.sql");
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            try (Statement st = c.createStatement()) {
                for (String sql : statements(read(script))) {
                    st.execute(sql);
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                ps.setInt(1, version);
                ps.setString(2, m.group(2));
                ps.setObject(3, Instant.now());
                ps.executeUpdate();
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw new SQLException("schema migration " + script + " failed: " + e.getMessage(), e.getSQLState(), e);
        } catch (RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static String read(String script) {
        try (InputStream in = Migrations.class.getResourceAsStream("db/" + script)) {
            if (in == null) {
                throw new IllegalStateException("migration resource missing: db/" + script);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read migration db/" + script, e);
        }
    }

    /** Splits a script into statements: {@code --} comment lines are dropped, {@code ;} at a line end ends one. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : script.split("\n")) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("--")) {
                continue;
            }
            cur.append(line).append('\n');
            if (t.endsWith(";")) {
                cur.setLength(cur.lastIndexOf(";"));
                out.add(cur.toString().strip());
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) {
            throw new IllegalStateException("migration script ends without ';': " + cur.toString().strip());
        }
        return out;
    }
}
