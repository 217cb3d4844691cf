package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.h2.jdbcx.JdbcConnectionPool;
import org.h2.mvstore.MVStore;
import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HousekeepingTest {
    private static final int KEPT = 60;

    @TempDir
    Path home;

    @Test
    void theUrlSettingsReachTheMvStore() {
        JdbcConnectionPool pool = pool();
        try (Database db = new Database(pool, pool::dispose)) {
            MVStore mv = Housekeeping.mvStore(pool);
            assertEquals(0, mv.getAutoCommitDelay(), "WRITE_DELAY=0: no background writer (decision 0104)");
            assertFalse(mv.getFileStore().isSpaceReused(), "REUSE_SPACE=FALSE (decision 0108)");
        }
    }

    /** Reopening compacts the file (decision 0108) and keeps every row: checked from the compacted file. */
    @Test
    void reopeningCompactsTheFileAndLosesNothing() throws Exception {
        Path file = home.resolve("db/msb.mv.db");
        try (H2Store db = H2Store.open(home, 2)) {
            SandboxStore store = db.sandboxes();
            for (int i = 0; i < KEPT * 10; i++) {
                String name = "s-" + i;
                store.insertSandbox(StoreFixture.sandbox(name, Map.of("i", Integer.toString(i))));
                RunRecord run = store.startRun(name, 1000 + i, Instant.now(), SandboxStatus.RUNNING);
                store.terminateRun(run.id(), TerminationReason.COMPLETED, 0, null, Instant.now(),
                        SandboxStatus.STOPPED);
                if (i % 10 != 0) {
                    store.deleteSandbox(name);
                }
            }
        }
        long grown = Files.size(file);
        try (H2Store db = H2Store.open(home, 2)) {
            long compacted = Files.size(file);
            assertTrue(compacted * 4 < grown, "file after reopening " + compacted + " bytes, before " + grown);
            SandboxStore store = db.sandboxes();
            for (int i = 0; i < KEPT * 10; i++) {
                var sandbox = store.findSandbox("s-" + i);
                assertEquals(i % 10 == 0, sandbox.isPresent(), "s-" + i);
                if (i % 10 == 0) {
                    assertEquals(Map.of("i", Integer.toString(i)), sandbox.get().labels());
                    assertEquals(SandboxStatus.STOPPED, sandbox.get().status());
                    assertEquals(TerminationReason.COMPLETED, store.latestRun("s-" + i).orElseThrow().reason());
                }
            }
        }
    }

    @Test
    void closingTheStoreStopsItsHousekeepingThread() {
        H2Store store = H2Store.open(home, 2);
        assertTrue(housekeepingThreads() > 0, "housekeeping runs while the store is open");
        store.close();
        assertEquals(0, housekeepingThreads(), "housekeeping threads left after close");
    }

    private static long housekeepingThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("msb-store-housekeeping")).count();
    }

    private JdbcConnectionPool pool() {
        return H2Store.pool(new OsgiDataSourceFactory(org.h2.Driver.load()), home, 2);
    }
}
