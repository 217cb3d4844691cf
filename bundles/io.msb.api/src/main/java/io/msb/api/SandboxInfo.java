package io.msb.api;

import java.time.Instant;
import java.util.Optional;

/**
 * What the platform knows about a sandbox, reconciled with the live VM when it was read.
 *
 * @param name the sandbox name
 * @param status current status
 * @param spec the spec it was created from (after defaults were applied)
 * @param createdAt creation time
 * @param updatedAt last status change
 * @param currentRun the latest run, if the sandbox was ever started
 */
public record SandboxInfo(String name, SandboxStatus status, SandboxSpec spec, Instant createdAt, Instant updatedAt,
        Optional<RunInfo> currentRun) {
}
