package io.msb.api;

import java.time.Duration;
import java.time.Instant;

/**
 * Resource use of a sandbox: its VM process as the host sees it, and memory as the guest reports it.
 *
 * @param pid the VM process
 * @param cpuTime user + system CPU time consumed so far
 * @param rssBytes resident memory of the VM process (guest memory it touched plus the VMM's own)
 * @param sampledAt when the figures were read
 * @param guestMemory the guest kernel's own view of its memory, or null when the agent could not report it
 * @param network the sandbox network's traffic since it was attached, or null when it has no network (since 2.3)
 * @param disk bytes the guest read from and wrote to its disks since it booted, or null when it could not report them
 *        (since 2.8)
 * @param memoryLimitBytes the guest memory the sandbox was given, 0 when not known (since 2.8)
 * @param uptime how long the current run has been up, or null when not known (since 2.8)
 * @param cpuPercent CPU time of the VM process over a wall-clock window, in percent of one core (may exceed 100 with
 *        several vCPUs), or null when not known (since 2.8)
 */
public record SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt, GuestMemory guestMemory,
        Network network, Disk disk, long memoryLimitBytes, Duration uptime, Double cpuPercent) {
    /** @since 2.8 */
    public SandboxMetrics {
        if (pid < 0 || rssBytes < 0 || memoryLimitBytes < 0) {
            throw new IllegalArgumentException("pid, rssBytes and memoryLimitBytes must not be negative");
        }
        if (cpuTime == null || cpuTime.isNegative() || uptime != null && uptime.isNegative()) {
            throw new IllegalArgumentException("cpuTime must be given and cpuTime and uptime must not be negative");
        }
        if (cpuPercent != null && (cpuPercent.isNaN() || cpuPercent.isInfinite() || cpuPercent < 0)) {
            throw new IllegalArgumentException("cpuPercent must be a finite number, not negative: " + cpuPercent);
        }
    }

    /** Without disk, limit, uptime and CPU percent (the 2.3 shape). */
    public SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt, GuestMemory guestMemory,
            Network network) {
        this(pid, cpuTime, rssBytes, sampledAt, guestMemory, network, null, 0, null, null);
    }

    /** Host figures only. */
    public SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt) {
        this(pid, cpuTime, rssBytes, sampledAt, null, null);
    }

    /** Without network figures (the 2.2 shape). */
    public SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt, GuestMemory guestMemory) {
        this(pid, cpuTime, rssBytes, sampledAt, guestMemory, null);
    }

    public SandboxMetrics withGuestMemory(GuestMemory memory) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, memory, network, disk, memoryLimitBytes, uptime,
                cpuPercent);
    }

    /** @since 2.3 */
    public SandboxMetrics withNetwork(Network traffic) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, guestMemory, traffic, disk, memoryLimitBytes,
                uptime, cpuPercent);
    }

    /** @since 2.8 */
    public SandboxMetrics withDisk(Disk io) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, guestMemory, network, io, memoryLimitBytes, uptime,
                cpuPercent);
    }

    /**
     * The figures of the run: the guest memory it was given and how long it has been up.
     *
     * @since 2.8
     */
    public SandboxMetrics withRun(long limitBytes, Duration up) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, guestMemory, network, disk, limitBytes, up,
                cpuPercent);
    }

    /** @since 2.8 */
    public SandboxMetrics withCpuPercent(Double percent) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, guestMemory, network, disk, memoryLimitBytes,
                uptime, percent);
    }

    /**
     * Block I/O of the guest: bytes its kernel read from and wrote to its virtio disks (sectors of 512 bytes), as
     * microsandbox's {@code disk_read_bytes}/{@code disk_write_bytes} count the VM's block device traffic.
     *
     * @since 2.8
     */
    public record Disk(long readBytes, long writeBytes) {
        public Disk {
            if (readBytes < 0 || writeBytes < 0) {
                throw new IllegalArgumentException("disk byte counts must not be negative: read " + readBytes
                        + ", written " + writeBytes);
            }
        }
    }

    /**
     * Traffic of the sandbox's network, as the guest sees it: "rx" arrived in the guest, "tx" left it.
     *
     * @since 2.3
     */
    public record Network(long rxBytes, long txBytes, long rxPackets, long txPackets) {
        public Network {
            if (rxBytes < 0 || txBytes < 0 || rxPackets < 0 || txPackets < 0) {
                throw new IllegalArgumentException("network counters must not be negative");
            }
        }
    }

    /**
     * Memory inside the guest ({@code /proc/meminfo}): what its kernel manages and what it could still hand out.
     *
     * @param totalBytes usable RAM (the VM's memory less what the kernel reserved)
     * @param availableBytes available for new work without swapping, page cache included
     */
    public record GuestMemory(long totalBytes, long availableBytes) {
        public GuestMemory {
            if (totalBytes < 0 || availableBytes < 0 || availableBytes > totalBytes) {
                throw new IllegalArgumentException("guest memory figures out of range: total " + totalBytes
                        + ", available " + availableBytes);
            }
        }

        /** In use by the guest's programs and kernel. */
        public long usedBytes() {
            return totalBytes - availableBytes;
        }
    }
}
