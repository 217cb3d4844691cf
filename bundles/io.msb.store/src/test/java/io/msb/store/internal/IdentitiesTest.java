package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a kill -9 can leave (CI saw it once in CrashDurabilityTest): rows committed with ids the stored identity
 * sequences had not passed yet. Written here directly: a row takes the id each sequence would draw next.
 */
class IdentitiesTest {
    @TempDir
    Path home;

    @Test
    void rowsAheadOfTheirIdentityDoNotMakeTheNextInsertsFail() throws Exception {
        try (H2Store db = H2Store.open(home, 2)) {
            db.sandboxes().insertSandbox(StoreFixture.sandbox("before", Map.of()));
            db.sandboxes().startRun("before", 1, Instant.now(), SandboxStatus.RUNNING);
            try (Connection c = StoreFixture.raw(home); Statement st = c.createStatement()) {
                long sandbox = StoreFixture.count(home, "SELECT identity_base FROM information_schema.columns "
                        + "WHERE table_name = 'SANDBOXES' AND is_identity = 'YES'");
                long run = StoreFixture.count(home, "SELECT identity_base FROM information_schema.columns "
                        + "WHERE table_name = 'RUNS' AND is_identity = 'YES'");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO sandboxes (id, public_id, name, "
                        + "config_json, status, ephemeral, created_at, updated_at) SELECT ?, RANDOM_UUID(), "
                        + "'ahead', config_json, status, ephemeral, created_at, updated_at FROM sandboxes "
                        + "WHERE name = 'before'")) {
                    ps.setLong(1, sandbox);
                    assertEquals(1, ps.executeUpdate());
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO runs (id, sandbox_id, pid, started_at) "
                        + "VALUES (?, ?, 2, CURRENT_TIMESTAMP)")) {
                    ps.setLong(1, run);
                    ps.setLong(2, sandbox);
                    assertEquals(1, ps.executeUpdate());
                }
            }
        }
        try (H2Store db = H2Store.open(home, 2)) {
            db.sandboxes().insertSandbox(StoreFixture.sandbox("after", Map.of()));
            db.sandboxes().startRun("after", 3, Instant.now(), SandboxStatus.RUNNING);
            assertTrue(db.sandboxes().latestRun("after").isPresent());
            assertTrue(db.sandboxes().findSandbox("ahead").isPresent(), "the row ahead of the identity is kept");
        }
    }
}
