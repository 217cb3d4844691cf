package io.msb.api;

import java.time.Instant;

/**
 * One boot of a sandbox's VM.
 *
 * @param id run number, unique per platform
 * @param pid the VM process id
 * @param startedAt when the VM was started
 * @param terminatedAt when it ended, or null while it runs
 * @param reason why it ended, or null while it runs
 * @param exitCode exit status of the VM process, or null
 * @param signal the signal that ended it, or null
 */
public record RunInfo(long id, long pid, Instant startedAt, Instant terminatedAt, TerminationReason reason,
        Integer exitCode, Integer signal) {

    public boolean running() {
        return terminatedAt == null;
    }
}
