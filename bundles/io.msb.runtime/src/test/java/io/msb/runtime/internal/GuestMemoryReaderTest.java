package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.msb.api.SandboxMetrics.GuestMemory;
import org.junit.jupiter.api.Test;

/** Parsing what a guest says its memory is: real meminfo, and the malformed or hostile kind. */
class GuestMemoryReaderTest {
    @Test
    void readsTotalAndAvailableFromARealMeminfo() {
        GuestMemory m = GuestMemoryReader.parse("""
                MemTotal:         220592 kB
                MemFree:          183220 kB
                MemAvailable:     190012 kB
                Buffers:            1232 kB
                """);
        assertEquals(220592L * 1024, m.totalBytes());
        assertEquals(190012L * 1024, m.availableBytes());
        assertEquals((220592L - 190012) * 1024, m.usedBytes());
    }

    @Test
    void malformedOrImplausibleFiguresGiveNone() {
        assertNull(GuestMemoryReader.parse(""), "empty");
        assertNull(GuestMemoryReader.parse("MemTotal: 100 kB\n"), "no MemAvailable");
        assertNull(GuestMemoryReader.parse("MemTotal: 100 kB\nMemAvailable: 200 kB\n"), "available > total");
        assertNull(GuestMemoryReader.parse("MemTotal: 99999999999999 kB\nMemAvailable: 1 kB\n"), "beyond 16 TiB");
        assertNull(GuestMemoryReader.parse("MemTotal: 0 kB\nMemAvailable: 0 kB\n"), "no memory at all");
        assertNull(GuestMemoryReader.parse("MemTotal: -5 kB\nMemAvailable: 1 kB\n"), "negative");
        assertNull(GuestMemoryReader.parse("MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n"),
                "more digits than a long");
    }
}
