package io.msb.api;

import java.time.Duration;

/**
 * A process in a sandbox's guest, as its {@code /proc} describes it. The guest is untrusted: the runtime bounds and
 * checks every field and leaves out entries it cannot read or that are malformed.
 *
 * @param pid process id in the guest
 * @param ppid parent's process id
 * @param user the owner's name from the guest's {@code /etc/passwd}, else the numeric uid
 * @param state the kernel's one-letter state ({@code R}, {@code S}, {@code D}, {@code Z}, …)
 * @param cpuTime user + system CPU time consumed so far
 * @param elapsed time since the process started (guest uptime less its start time)
 * @param rssBytes resident memory
 * @param command its command line, arguments joined with spaces; the name in brackets for a kernel thread or a
 *                process without one
 * @since 2.3
 */
public record GuestProcess(int pid, int ppid, String user, String state, Duration cpuTime, Duration elapsed,
        long rssBytes, String command) {
    public GuestProcess {
        if (pid < 1 || ppid < 0 || rssBytes < 0 || cpuTime.isNegative() || elapsed.isNegative()) {
            throw new IllegalArgumentException("guest process " + pid + ": figures out of range");
        }
    }
}
