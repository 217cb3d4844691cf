package io.msb.webconsole.internal;

import io.msb.api.SandboxMetrics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU use as a percentage of one CPU, from the CPU time of two samples of a sandbox's VM: the one before (kept here
 * for at most {@value #MAX} sandboxes) and the one now. Unknown on a sandbox's first sample, or after its VM changed.
 */
final class CpuSampler {
    static final int MAX = 256;
    private final Map<String, SandboxMetrics> last = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, SandboxMetrics> eldest) {
            return size() > MAX;
        }
    };

    synchronized Double percent(String name, SandboxMetrics now) {
        SandboxMetrics before = last.put(name, now);
        if (before == null || before.pid() != now.pid()) {
            return null;
        }
        long wallNanos = Duration.between(before.sampledAt(), now.sampledAt()).toNanos();
        if (wallNanos <= 0) {
            return null;
        }
        return Math.max(0, now.cpuTime().minus(before.cpuTime()).toNanos()) * 100.0 / wallNanos;
    }
}
