package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxMetrics.Disk;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Parsing what a guest says its block I/O is: a real diskstats, and the malformed or hostile kind. */
class GuestDiskReaderTest {
    @Test
    void sumsTheVirtioDisksButNotTheirPartitionsNorOtherDevices() {
        Disk d = GuestDiskReader.parse("""
                   7       0 loop0 5 0 80 1 0 0 0 0 0 1 1 0 0 0 0 0 0
                 254       0 vda 310 0 12000 40 0 0 0 0 0 60 40 0 0 0 0 0 0
                 254       1 vda1 300 0 11900 40 0 0 0 0 0 60 40 0 0 0 0 0 0
                 254      16 vdb 90 3 1000 10 25 7 600 30 0 50 40 0 0 0 0 0 0
                """);
        assertEquals((12000L + 1000) * 512, d.readBytes());
        assertEquals(600L * 512, d.writeBytes());
    }

    /** The host's own /proc/diskstats has the guest's format; on a host that is itself a virtio VM it has vd disks. */
    @Test
    void readsTheHostsRealDiskstats() throws Exception {
        String real = Files.readString(Path.of("/proc/diskstats"));
        Assumptions.assumeTrue(real.lines().anyMatch(l -> l.trim().split("\\s+")[2].matches("vd[a-z]+")),
                "this host has no virtio disk (vd*) in /proc/diskstats");
        Disk d = GuestDiskReader.parse(real);
        assertNotNull(d, real);
        assertTrue(d.readBytes() > 0, "the host booted from its disk: " + d);
    }

    @Test
    void malformedOrImplausibleFiguresGiveNone() {
        assertNull(GuestDiskReader.parse(""), "empty");
        assertNull(GuestDiskReader.parse(" 7 0 loop0 5 0 80 1 0 0 0 0 0 1 1\n"), "no virtio disk");
        assertNull(GuestDiskReader.parse(" 254 0 vda 1 0 -5 1 0 0 7 0 0 1 1\n"), "negative");
        assertNull(GuestDiskReader.parse(" 254 0 vda 1 0 x 1 0 0 7 0 0 1 1\n"), "not a number");
        assertNull(GuestDiskReader.parse(" 254 0 vda 1 0 99999999999999999999 1 0 0 7 0 0 1 1\n"),
                "more digits than a long");
        assertNull(GuestDiskReader.parse(" 254 0 vda 1 0 999999999999999 1 0 0 7 0 0 1 1\n"), "beyond 16 PiB");
        String many = " 254 0 vda 1 0 35184372088832 1 0 0 7 0 0 1 1\n".repeat(2); // each at the bound, the sum not
        assertNull(GuestDiskReader.parse(many), "the sum beyond 16 PiB");
        assertNull(GuestDiskReader.parse(" 254 0 vda 1 0 80 1 0 0 7 0 0 1 1\n 254 16 vdb 1 0 x 1 0 0 7\n"),
                "one bad disk spoils the sum");
    }
}
