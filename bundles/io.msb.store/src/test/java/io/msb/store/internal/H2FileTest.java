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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.h2.mvstore.MVStore;
import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2FileTest {
    private static final int KEPT = 60;

    @TempDir
    Path home;

    @Test
    void theUrlSettingsReachTheMvStore() {
        try (H2File file = open(StoreConfig.COMPACT_ABOVE_MIB)) {
            MVStore mv = file.mvStore();
            assertEquals(0, mv.getAutoCommitDelay(), "WRITE_DELAY=0: no background writer (decision 0104)");
            assertFalse(mv.getFileStore().isSpaceReused(), "REUSE_SPACE=FALSE (decision 0108)");
        }
    }

    /**
     * Writers keep going while the file is rotated under them: none fails, every row is there afterwards, and a
     * rotation takes the file back to its live data.
     */
    @Test
    void rotatingWhileWritersRunLosesNothingAndShrinksTheFile() throws Exception {
        Path db = home.resolve("db/msb.mv.db");
        try (H2File file = open(StoreConfig.COMPACT_ABOVE_MIB); Database database = new Database(file)) {
            SandboxStore store = new JdbcSandboxStore(database);
            ExecutorService writers = Executors.newFixedThreadPool(3);
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                String prefix = "w" + w + "-";
                done.add(writers.submit(() -> churn(store, prefix, KEPT * 5)));
            }
            int rotations = 0;
            while (!done.stream().allMatch(Future::isDone)) {
                file.rotate();
                rotations++;
                Thread.sleep(20);
            }
            writers.shutdown();
            for (Future<?> f : done) {
                f.get(); // a writer that failed fails the test here
            }
            assertTrue(rotations > 1, "rotations while the writers ran: " + rotations);
            churn(store, "x-", KEPT * 2);
            long grown = Files.size(db);
            file.rotate();
            long compacted = Files.size(db);
            assertTrue(compacted * 2 < grown, "file after rotating " + compacted + " bytes, before " + grown);
            for (int w = 0; w < 3; w++) {
                assertKept(store, "w" + w + "-", KEPT * 5);
            }
            assertKept(store, "x-", KEPT * 2);
        }
    }

    /** Above its threshold (1 MiB here) the file is rotated by the transactions that grow it: it stays bounded. */
    @Test
    void churnKeepsTheFileBounded() throws Exception {
        Path db = home.resolve("db/msb.mv.db");
        try (H2File file = open(1); Database database = new Database(file)) {
            SandboxStore store = new JdbcSandboxStore(database);
            long largest = 0;
            for (int round = 0; round < 5; round++) { // ~50 KB a cycle without compaction: ~15 MiB in all
                churn(store, "s" + round + "-", KEPT);
                largest = Math.max(largest, Files.size(db));
            }
            assertTrue(largest < 4 * 1024 * 1024, "largest file seen: " + largest + " bytes");
            for (int round = 0; round < 5; round++) {
                assertKept(store, "s" + round + "-", KEPT);
            }
        }
    }

    /** Reopening compacts the file (decision 0108) and keeps every row: checked from the compacted file. */
    @Test
    void reopeningCompactsTheFileAndLosesNothing() throws Exception {
        Path file = home.resolve("db/msb.mv.db");
        try (H2Store db = H2Store.open(home, 2)) {
            churn(db.sandboxes(), "s-", KEPT * 10);
        }
        long grown = Files.size(file);
        try (H2Store db = H2Store.open(home, 2)) {
            long compacted = Files.size(file);
            assertTrue(compacted * 4 < grown, "file after reopening " + compacted + " bytes, before " + grown);
            assertKept(db.sandboxes(), "s-", KEPT * 10);
        }
    }

    /** Creates, runs and stops {@code count} sandboxes, then removes nine in ten (the churn of a busy server). */
    private static void churn(SandboxStore store, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            String name = prefix + i;
            store.insertSandbox(StoreFixture.sandbox(name, Map.of("i", Integer.toString(i))));
            RunRecord run = store.startRun(name, 1000 + i, Instant.now(), SandboxStatus.RUNNING);
            store.terminateRun(run.id(), TerminationReason.COMPLETED, 0, null, Instant.now(), SandboxStatus.STOPPED);
            if (i % 10 != 0) {
                store.deleteSandbox(name);
            }
        }
    }

    /** What {@link #churn} leaves: every tenth sandbox, stopped, with its labels and completed run. */
    private static void assertKept(SandboxStore store, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            var sandbox = store.findSandbox(prefix + i);
            assertEquals(i % 10 == 0, sandbox.isPresent(), prefix + i);
            if (i % 10 == 0) {
                assertEquals(Map.of("i", Integer.toString(i)), sandbox.get().labels());
                assertEquals(SandboxStatus.STOPPED, sandbox.get().status());
                assertEquals(TerminationReason.COMPLETED, store.latestRun(prefix + i).orElseThrow().reason());
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

    private H2File open(int compactAboveMib) {
        return H2File.open(new OsgiDataSourceFactory(org.h2.Driver.load()), home, 4, compactAboveMib);
    }
}
