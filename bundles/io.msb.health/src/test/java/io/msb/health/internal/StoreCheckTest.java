package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.store.internal.H2Store;

/** Against the real H2 store in a temporary home. */
class StoreCheckTest {
    @TempDir
    Path home;

    @Test
    void anOpenStoreAnswers() {
        try (H2Store db = H2Store.open(home, 2)) {
            Result r = StoreCheck.assess(db.sandboxes());
            assertEquals(Result.Status.OK, r.getStatus(), r.toString());
            assertTrue(r.toString().contains("answers a query"), r.toString());
        }
    }

    @Test
    void aClosedStoreIsCriticalWithTheReason() {
        H2Store db = H2Store.open(home, 2);
        db.close();
        Result r = StoreCheck.assess(db.sandboxes());
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("does not answer"), r.toString());
    }

    @Test
    void noStoreServiceIsCritical() {
        Result r = StoreCheck.assess(null);
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertTrue(r.toString().contains("io.msb.store is not active"), r.toString());
    }
}
