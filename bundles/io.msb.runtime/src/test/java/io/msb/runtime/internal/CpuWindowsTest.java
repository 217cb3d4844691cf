package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.msb.api.SandboxMetrics;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** CPU percent over the window since the previous sample at least a second older, else over the run. */
class CpuWindowsTest {
    private static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");

    private static SandboxMetrics sample(long pid, long cpuMs, long atMs, long upMs) {
        return new SandboxMetrics(pid, Duration.ofMillis(cpuMs), 1, T0.plusMillis(atMs)).withRun(0,
                Duration.ofMillis(upMs));
    }

    @Test
    void theFirstSampleIsMeasuredOverTheRunTheNextOverTheWindow() {
        CpuWindows w = new CpuWindows();
        assertEquals(25.0, w.measure("a", sample(7, 2_500, 0, 10_000)).cpuPercent(), "2.5 s of CPU in 10 s up");
        assertEquals(25.0, w.measure("a", sample(7, 2_625, 500, 10_500)).cpuPercent(),
                "half a second later: too short a window, still over the run");
        assertEquals(150.0, w.measure("a", sample(7, 4_000, 1_000, 11_000)).cpuPercent(), "1.5 s of CPU in 1 s");
        assertEquals(0.0, w.measure("a", sample(7, 4_000, 3_000, 13_000)).cpuPercent(), "idle since");
    }

    @Test
    void anotherVmOrAnotherSandboxStartsAfresh() {
        CpuWindows w = new CpuWindows();
        w.measure("a", sample(7, 9_000, 0, 10_000));
        assertEquals(10.0, w.measure("a", sample(8, 100, 5_000, 1_000)).cpuPercent(), "a restart: a new pid");
        assertEquals(50.0, w.measure("b", sample(9, 500, 5_000, 1_000)).cpuPercent());
        w.forget("b");
        assertNull(w.measure("b", sample(9, 0, 6_000, 0)).cpuPercent(), "no time up, no figure");
    }
}
