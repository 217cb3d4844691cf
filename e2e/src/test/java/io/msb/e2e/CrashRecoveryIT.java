package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * kill -9 of the host process during concurrent creates, starts, stops and removes, then a restart on the same home
 * (decision 0013, 0014): no QEMU of the home without a record, every status true to its process, every acknowledged
 * change kept, and nothing left running once everything is removed. A few iterations here ({@code
 * -Dmsb.e2e.crashIterations}); bench/soak runs many and prints the figures.
 */
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class CrashRecoveryIT {
    @Test
    void aKilledRuntimeLeavesNoOrphanAndLosesNoAcknowledgedChange() throws Exception {
        Platform.requireHostTools();
        long seed = System.nanoTime();
        System.out.println("CrashRecoveryIT seed " + seed);
        try (CrashLoop loop = CrashLoop.open(seed, Long.getLong("msb.e2e.crashMaxKillMillis", 30_000))) {
            for (int i = 1; i <= Integer.getInteger("msb.e2e.crashIterations", 3); i++) {
                CrashLoop.Figures f = loop.iteration(i);
                System.out.println(f);
                assertTrue(f.clean(), f.toString());
            }
            assertEquals(List.of(), loop.cleanUp(), "QEMU processes of " + loop.home() + " after removing everything");
        }
    }
}
