package io.msb.runtime.internal;

import io.msb.api.SandboxMetrics.Disk;
import io.msb.api.fs.SandboxFs;
import java.util.regex.Pattern;

/**
 * The guest's block I/O from its {@code /proc/diskstats}: the sectors its kernel read from and wrote to its virtio
 * disks, which is what microsandbox reports as disk_read/write_bytes (its VMM's block device counters). The host's
 * {@code /proc/<pid>/io} of the VM process is not that: QEMU reads through the host page cache, so a warm image shows
 * no reads at all (decision 1875). The file comes from the guest and is untrusted: the read is bounded and anything
 * malformed or implausible yields no figure rather than a wrong one.
 */
final class GuestDiskReader {
    /** A line is about 100 bytes; a guest has a handful of disks, plus loop and ram devices. */
    static final int MAX_BYTES = 64 * 1024;
    /** Whole virtio disks (vda, vdb, …), not their partitions, whose I/O the disk already counts. */
    private static final Pattern VIRTIO_DISK = Pattern.compile("vd[a-z]{1,3}");
    /** Counters are in 512-byte sectors whatever the device's block size (Documentation/block/stat.rst). */
    private static final long SECTOR = 512;
    /** 2^45 sectors is 16 PiB: more than any sandbox moves; also keeps the byte sum far from overflow. */
    private static final long MAX_SECTORS = 1L << 45;

    private GuestDiskReader() {
    }

    static Disk read(SandboxFs fs) {
        return GuestProcFile.read(fs, "/proc/diskstats", MAX_BYTES, GuestDiskReader::parse);
    }

    /** Sums the virtio disks' sectors read (field 6) and written (field 10); null without any or on bad data. */
    static Disk parse(String diskstats) {
        long read = 0;
        long written = 0;
        boolean any = false;
        for (String line : diskstats.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !VIRTIO_DISK.matcher(f[2]).matches()) {
                continue;
            }
            long r = sectors(f[5]);
            long w = sectors(f[9]);
            if (r < 0 || w < 0) {
                return null;
            }
            read += r;
            written += w;
            any = true;
        }
        if (!any || read > MAX_SECTORS || written > MAX_SECTORS) {
            return null;
        }
        return new Disk(read * SECTOR, written * SECTOR);
    }

    /** The counter, or -1 when it is not a plausible one. */
    private static long sectors(String field) {
        if (!field.matches("\\d{1,15}")) {
            return -1;
        }
        long n = Long.parseLong(field);
        return n > MAX_SECTORS ? -1 : n;
    }
}
