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
 */
public record SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt, GuestMemory guestMemory,
        Network network) {
    /** Host figures only. */
    public SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt) {
        this(pid, cpuTime, rssBytes, sampledAt, null, null);
    }

    /** Without network figures (the 2.2 shape). */
    public SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt, GuestMemory guestMemory) {
        this(pid, cpuTime, rssBytes, sampledAt, guestMemory, null);
    }

    public SandboxMetrics withGuestMemory(GuestMemory memory) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, memory, network);
    }

    /** @since 2.3 */
    public SandboxMetrics withNetwork(Network traffic) {
        return new SandboxMetrics(pid, cpuTime, rssBytes, sampledAt, guestMemory, traffic);
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
