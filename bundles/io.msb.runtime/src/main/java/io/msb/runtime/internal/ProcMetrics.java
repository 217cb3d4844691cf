package io.msb.runtime.internal;

import io.msb.api.MsbException;
import io.msb.api.SandboxMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/** CPU time and resident memory of a process, from {@code /proc}. */
final class ProcMetrics {
    /** Linux reports CPU times in USER_HZ, which is 100 on every architecture msb runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcMetrics() {
    }

    static SandboxMetrics read(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"));
            // fields after the command name, which may itself contain spaces or parentheses
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            long rssKib = 0;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rssKib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return new SandboxMetrics(pid, Duration.ofMillis(ticks * 1000 / TICKS_PER_SECOND), rssKib * 1024,
                    Instant.now());
        } catch (IOException | RuntimeException e) {
            throw new MsbException("cannot read the metrics of process " + pid + ": " + e.getMessage(), e);
        }
    }
}
