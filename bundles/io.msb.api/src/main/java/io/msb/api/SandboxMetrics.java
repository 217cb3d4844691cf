package io.msb.api;

import java.time.Duration;
import java.time.Instant;

/**
 * Resource use of a sandbox's VM process as the host sees it.
 *
 * @param pid the VM process
 * @param cpuTime user + system CPU time consumed so far
 * @param rssBytes resident memory of the VM process (guest memory it touched plus the VMM's own)
 * @param sampledAt when the figures were read
 */
public record SandboxMetrics(long pid, Duration cpuTime, long rssBytes, Instant sampledAt) {
}
