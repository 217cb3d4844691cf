package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Under TCG the guest's TSC ticks at the host's TSC rate, but the guest cannot measure it: it calibrates
 * against the emulated PIT, which fails when the host is busy, and a kernel without a TSC frequency then
 * waits forever in its delay-loop calibration. Telling it the frequency ({@code tsc_early_khz}) avoids both.
 * The host's frequency comes from {@code /proc/cpuinfo} (constant-rate TSCs run at the nominal clock).
 */
final class HostTsc {
    private static final long MIN_KHZ = 100_000;
    private static final long MAX_KHZ = 10_000_000;

    private HostTsc() {
    }

    static List<String> kernelArgs() {
        long khz = khz(Path.of("/proc/cpuinfo"));
        return khz > 0 ? List.of("tsc_early_khz=" + khz) : List.of();
    }

    /** The first "cpu MHz" of a cpuinfo file in kHz, or 0 when absent or implausible. */
    static long khz(Path cpuinfo) {
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("cpu MHz")).findFirst().map(l -> {
                try {
                    long khz = Math.round(Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) * 1000);
                    return khz >= MIN_KHZ && khz <= MAX_KHZ ? khz : 0L;
                } catch (NumberFormatException e) {
                    return 0L;
                }
            }).orElse(0L);
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
