package io.msb.api.store;

import io.msb.api.RunInfo;
import io.msb.api.TerminationReason;
import java.time.Instant;

/**
 * A run row: one boot of a sandbox's VM.
 *
 * @param id generated id
 * @param sandbox the sandbox's name
 * @param pid the VM process id
 * @param startedAt start time
 * @param terminatedAt end time, or null while running
 * @param reason termination reason, or null while running
 * @param exitCode exit status, or null
 * @param signal terminating signal, or null
 */
public record RunRecord(long id, String sandbox, long pid, Instant startedAt, Instant terminatedAt,
        TerminationReason reason, Integer exitCode, Integer signal) {

    public boolean running() {
        return terminatedAt == null;
    }

    public RunInfo toInfo() {
        return new RunInfo(id, pid, startedAt, terminatedAt, reason, exitCode, signal);
    }
}
