package io.msb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The metrics record refuses impossible figures; the older shapes still build, with the new figures unknown. */
class SandboxMetricsTest {
    private static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");

    @Test
    void theOlderConstructorsLeaveTheNewFiguresUnknownAndTheWithersKeepTheRest() {
        SandboxMetrics m = new SandboxMetrics(3, Duration.ofSeconds(2), 10, T0,
                new SandboxMetrics.GuestMemory(100, 40));
        assertNull(m.disk());
        assertNull(m.uptime());
        assertNull(m.cpuPercent());
        assertEquals(0, m.memoryLimitBytes());
        SandboxMetrics full = m.withDisk(new SandboxMetrics.Disk(1, 2)).withRun(256L << 20, Duration.ofSeconds(9))
                .withCpuPercent(12.5).withNetwork(new SandboxMetrics.Network(1, 2, 3, 4));
        assertEquals(new SandboxMetrics(3, Duration.ofSeconds(2), 10, T0, new SandboxMetrics.GuestMemory(100, 40),
                new SandboxMetrics.Network(1, 2, 3, 4), new SandboxMetrics.Disk(1, 2), 256L << 20,
                Duration.ofSeconds(9), 12.5), full);
    }

    @Test
    void negativeOrNonFiniteFiguresAreRefusedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SandboxMetrics.Disk(-1, 0)).getMessage()
                .contains("disk byte counts must not be negative"));
        SandboxMetrics m = new SandboxMetrics(3, Duration.ZERO, 0, T0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> m.withRun(-1, Duration.ZERO)).getMessage()
                .contains("memoryLimitBytes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> m.withRun(0, Duration.ofSeconds(-1)))
                .getMessage().contains("uptime"));
        for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> m.withCpuPercent(bad)).getMessage()
                    .contains("cpuPercent"));
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SandboxMetrics(-3, Duration.ZERO, 0, T0))
                .getMessage().contains("pid"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SandboxMetrics(3, Duration.ofSeconds(-1), 0,
                T0)).getMessage().contains("cpuTime"));
    }
}
