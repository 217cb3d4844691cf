package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Floors of nothing and of more than any disk flip the check on this machine's real file system. */
class DiskCheckTest {
    private static final long HUGE = Long.MAX_VALUE / (1024 * 1024);

    @TempDir
    Path home;

    @Test
    void aboveTheFloorsIsOk() {
        Result r = new DiskCheck(home, 0, 0).execute();
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("MiB free under " + home), r.toString());
    }

    @Test
    void belowTheWarnFloorWarns() {
        assertEquals(Result.Status.WARN, new DiskCheck(home, HUGE, 0).execute().getStatus());
    }

    @Test
    void belowTheCriticalFloorIsCritical() {
        Result r = new DiskCheck(home, HUGE, HUGE).execute();
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertTrue(r.toString().contains("below the floor of " + HUGE + " MiB"), r.toString());
    }

    @Test
    void aHomeNotCreatedYetIsMeasuredOnItsParent() {
        assertEquals(Result.Status.OK, new DiskCheck(home.resolve("a/b"), 0, 0).execute().getStatus());
    }

    @Test
    void inconsistentFloorsNameTheFields() {
        Result r = new DiskCheck(home, 10, 20).execute();
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertTrue(r.toString().contains("criticalBelowMib (20)") && r.toString().contains("warnBelowMib (10)"), r.toString());
    }
}
