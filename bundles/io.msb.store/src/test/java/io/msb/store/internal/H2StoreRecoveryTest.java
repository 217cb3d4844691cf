package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2StoreRecoveryTest {
    @TempDir
    Path home;

    /**
     * A transaction open when the process died is rolled back when the store opens again, before the file is
     * compacted: a compaction copies every map under a new id, and the rollback of a transaction found in the copy
     * cannot find the maps its undo log names, so its rows would stay behind, unseen by reads yet in every index
     * (the next insert of the same name failed as a duplicate).
     */
    @Test
    void aTransactionOpenAtTheCrashIsRolledBackBeforeTheFileIsCompacted() throws Exception {
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), CrashWithOpenTransaction.class.getName(), home.toString())
                .inheritIO().start();
        assertEquals(0, child.waitFor(), "the crashing writer's exit status");
        try (H2Store db = H2Store.open(home, 2)) {
            assertTrue(db.sandboxes().findSandbox("committed").isPresent(), "the committed sandbox");
            assertFalse(db.sandboxes().findSandbox("uncommitted").isPresent(), "the uncommitted sandbox");
            db.sandboxes().insertSandbox(StoreFixture.sandbox("uncommitted", Map.of()));
            assertTrue(db.sandboxes().findSandbox("uncommitted").isPresent());
        }
    }
}
