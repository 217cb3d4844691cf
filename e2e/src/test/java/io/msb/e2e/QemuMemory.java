package io.msb.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One QEMU's resident memory by mapping (its smaps), MiB, for the bench/vm programs: guest RAM is the mapping of
 * the VM's size (by size, not name: a memfd's has one, decision 1915), TCG's translation cache the rwx one, files
 * QEMU's binary and libraries (shared; with PVH boot also the vmlinux QEMU maps, decision 1933), and the rest
 * anonymous (heap, stacks; with a bzImage boot the largest such mapping is the kernel image QEMU keeps for fw_cfg).
 */
public record QemuMemory(double rss, double pss, double guestRam, double guestRamHuge, double tcg, double files,
        double largestAnon, double otherAnon) {
    /** An smaps area's first line: start-end perms offset dev inode [name]. */
    private static final Pattern HEADER = Pattern.compile("([0-9a-f]+)-([0-9a-f]+) (\\S+) \\S+ \\S+ \\S+\\s*(.*)");

    public static QemuMemory of(long pid, int guestMib) throws Exception {
        double[] v = new double[8];
        long size = 0;
        String perms = "";
        String name = "";
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            Matcher area = HEADER.matcher(line);
            if (area.matches()) {
                size = Long.parseUnsignedLong(area.group(2), 16) - Long.parseUnsignedLong(area.group(1), 16);
                perms = area.group(3);
                name = area.group(4);
                continue;
            }
            String[] f = line.trim().split("\\s+");
            double mib = f.length > 1 && f[1].matches("[0-9]+") ? Long.parseLong(f[1]) / 1024.0 : 0;
            boolean ram = size == (long) guestMib << 20;
            switch (f[0]) {
                case "Rss:" -> {
                    v[0] += mib;
                    if (ram) {
                        v[2] += mib;
                    } else if (perms.startsWith("rwx")) {
                        v[4] += mib;
                    } else if (name.startsWith("/")) {
                        v[5] += mib;
                    } else {
                        v[6] = Math.max(v[6], mib);
                        v[7] += mib;
                    }
                }
                case "Pss:" -> v[1] += mib;
                case "AnonHugePages:" -> v[3] += ram ? mib : 0;
                default -> { }
            }
        }
        return new QemuMemory(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7] - v[6]);
    }

    /** All anonymous memory that is neither guest RAM nor the translation cache. */
    public double anon() {
        return largestAnon + otherAnon;
    }

    @Override
    public String toString() {
        return String.format("RSS %.1f MiB, PSS %.1f | guest RAM %.1f (in 2 MiB host pages %.1f) | TCG cache %.1f"
                + " | QEMU's files %.1f | largest anonymous %.1f, other anonymous %.1f",
                rss, pss, guestRam, guestRamHuge, tcg, files, largestAnon, otherAnon);
    }
}
