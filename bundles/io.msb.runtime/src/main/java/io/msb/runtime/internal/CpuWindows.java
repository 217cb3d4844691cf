package io.msb.runtime.internal;

import io.msb.api.SandboxMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CPU percent of each sandbox's VM over a window, as microsandbox computes it (CPU time gained over the wall time
 * between two samples, 100 = one busy core). microsandbox samples every second; msb samples when asked, so the window
 * is since the sandbox's previous sample at least a second older, and the first sample of a run (or one asked for
 * sooner) is measured over the whole run (decision 1876).
 */
final class CpuWindows {
    static final Duration MIN_WINDOW = Duration.ofSeconds(1);
    private final Map<String, SandboxMetrics> baselines = new ConcurrentHashMap<>();

    /** {@code now} with its CPU percent; {@code now.uptime()} must be set. */
    SandboxMetrics measure(String name, SandboxMetrics now) {
        SandboxMetrics[] result = new SandboxMetrics[1];
        baselines.compute(name, (n, before) -> {
            boolean sameVm = before != null && before.pid() == now.pid() && !now.cpuTime().minus(before.cpuTime())
                    .isNegative();
            Duration wall = sameVm ? Duration.between(before.sampledAt(), now.sampledAt()) : Duration.ZERO;
            if (sameVm && wall.compareTo(MIN_WINDOW) >= 0) {
                result[0] = now.withCpuPercent(percent(now.cpuTime().minus(before.cpuTime()), wall));
                return now;
            }
            Duration up = now.uptime();
            result[0] = now.withCpuPercent(up == null || up.isZero() ? null : percent(now.cpuTime(), up));
            return sameVm ? before : now;
        });
        return result[0];
    }

    void forget(String name) {
        baselines.remove(name);
    }

    static double percent(Duration cpu, Duration wall) {
        return Math.round(cpu.toNanos() * 10_000.0 / wall.toNanos()) / 100.0;
    }
}
