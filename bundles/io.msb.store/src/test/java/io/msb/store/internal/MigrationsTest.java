package io.msb.store.internal;

import static io.msb.store.internal.StoreFixture.count;
import static io.msb.store.internal.StoreFixture.sandbox;
import static io.msb.store.internal.StoreFixture.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.store.SandboxStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MigrationsTest {
    @TempDir
    Path home;

    @Test
    void migratesAnEmptyDatabaseAndRecordsEveryVersion() throws Exception {
        try (H2Store db = H2Store.open(home, 2)) {
            assertTrue(Files.exists(home.resolve("db/msb.mv.db")), "database file under $home/db");
            assertEquals(Migrations.latest(), count(home, "SELECT MAX(version) FROM schema_version"));
            assertEquals(Migrations.latest(), count(home, "SELECT COUNT(*) FROM schema_version"));
            assertEquals(1, count(home, "SELECT COUNT(*) FROM schema_version WHERE version = 1 "
                    + "AND description = 'initial'"));
            assertEquals(0, count(home, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'PUBLIC' "
                    + "AND table_name = 'SNAPSHOTS'"), "V2 dropped the unused tables");
            // V4 made the volume tables anew, with the columns the volume store writes
            assertEquals(2, count(home, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'PUBLIC' "
                    + "AND table_name = 'VOLUMES' AND column_name IN ('PUBLIC_ID', 'CAPACITY_MIB')"));
            db.sandboxes().insertSandbox(sandbox("kept", Map.of("k", "v")));
        }
    }

    @Test
    void reopeningIsIdempotentAndKeepsData() throws Exception {
        try (H2Store db = H2Store.open(home, 2)) {
            db.sandboxes().insertSandbox(sandbox("kept", Map.of("k", "v")));
        }
        for (int i = 0; i < 2; i++) {
            try (H2Store db = H2Store.open(home, 2)) {
                assertEquals(sandbox("kept", Map.of("k", "v")), db.sandboxes().findSandbox("kept").orElseThrow());
                assertEquals(Migrations.latest(), count(home, "SELECT COUNT(*) FROM schema_version"));
            }
        }
    }

    /** A kill -9 in the middle of V1 (seen in CrashDurabilityTest loops) left a database that never opened again. */
    @Test
    void aFirstMigrationInterruptedByAKillIsRunAgain() throws Exception {
        String v1;
        try (var in = Migrations.class.getResourceAsStream("db/V1__initial.sql")) {
            v1 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        var statements = Migrations.statements(v1);
        sql(home, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR(256) NOT NULL, "
                + "applied_at TIMESTAMP(9) WITH TIME ZONE NOT NULL)");
        for (String statement : statements.subList(0, statements.size() / 2)) {
            sql(home, statement); // each DDL statement commits, as when the kill came between two of them
        }
        try (H2Store db = H2Store.open(home, 2)) {
            SandboxStore store = db.sandboxes();
            store.insertSandbox(sandbox("after", Map.of("k", "v")));
            assertEquals(sandbox("after", Map.of("k", "v")), store.findSandbox("after").orElseThrow());
            assertEquals(1, count(home, "SELECT COUNT(*) FROM schema_version WHERE version = 1"));
        }
    }

    @Test
    void refusesADatabaseFromANewerMsb() throws Exception {
        H2Store.open(home, 2).close();
        sql(home, "INSERT INTO schema_version (version, description, applied_at) "
                + "VALUES (7, 'future', CURRENT_TIMESTAMP)");
        var e = assertThrows(MsbException.class, () -> H2Store.open(home, 2));
        assertEquals("database schema version 7 is newer than this msb supports (" + Migrations.latest()
                + "); upgrade msb", e.getMessage());
    }

    @Test
    void upgradesAnExistingDatabaseKeepingItsData() throws Exception {
        List<String> withTest = withTestScript("V6__test_upgrade.sql");
        try (H2Store db = H2Store.open(home, 2)) {
            SandboxStore store = db.sandboxes();
            store.insertSandbox(sandbox("old", Map.of("k", "v")));
            try (Connection c = StoreFixture.raw(home)) {
                Migrations.apply(c, withTest);
                assertEquals(6, Migrations.current(c));
                // re-applying is a no-op
                Migrations.apply(c, withTest);
            }
            assertEquals(6, count(home, "SELECT COUNT(*) FROM schema_version"));
            assertEquals(1, count(home, "SELECT COUNT(*) FROM sandboxes WHERE test_note = 'migrated'"));
            assertEquals(sandbox("old", Map.of("k", "v")), store.findSandbox("old").orElseThrow());
        }
    }

    @Test
    void aFailedMigrationIsNotRecordedAndNamesItsScript() throws Exception {
        H2Store.open(home, 2).close();
        try (Connection c = StoreFixture.raw(home)) {
            var e = assertThrows(SQLException.class,
                    () -> Migrations.apply(c, withTestScript("V6__test_broken.sql")));
            assertTrue(e.getMessage().startsWith("schema migration V6__test_broken.sql failed: "), e.getMessage());
            assertEquals(5, Migrations.current(c));
        }
    }

    /** The production scripts followed by a test-only one. */
    private static List<String> withTestScript(String script) {
        List<String> scripts = new java.util.ArrayList<>(Migrations.SCRIPTS);
        scripts.add(script);
        return scripts;
    }

    @Test
    void scriptsAreNumberedContiguously() {
        for (int v = 1; v <= Migrations.latest(); v++) {
            assertTrue(Migrations.SCRIPTS.get(v - 1).startsWith("V" + v + "__"), Migrations.SCRIPTS.get(v - 1));
        }
    }

    @Test
    void splitsScriptsIntoStatements() {
        assertEquals(List.of("CREATE TABLE a (\n    x INT\n)", "CREATE INDEX i ON a(x)"),
                Migrations.statements("-- comment\nCREATE TABLE a (\n    x INT\n);\n\n  -- more\nCREATE INDEX i ON a(x);\n"));
        assertThrows(IllegalStateException.class, () -> Migrations.statements("CREATE TABLE b (x INT)"));
    }
}
