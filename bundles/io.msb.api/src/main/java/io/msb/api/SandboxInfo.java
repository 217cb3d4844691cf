package io.msb.api;

import io.msb.api.network.NetworkAddresses;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What the platform knows about a sandbox, reconciled with the live VM when it was read.
 *
 * @param id the sandbox's public id (random, never reused), or null from a backend that keeps none
 * @param name the sandbox name
 * @param status current status
 * @param spec the spec it was created from (after defaults were applied), with its current network policy
 * @param createdAt creation time
 * @param updatedAt last status change
 * @param currentRun the latest run, if the sandbox was ever started
 * @param addresses the addresses of its network while it runs with one
 */
public record SandboxInfo(UUID id, String name, SandboxStatus status, SandboxSpec spec, Instant createdAt,
        Instant updatedAt, Optional<RunInfo> currentRun, Optional<NetworkAddresses> addresses) {
    public SandboxInfo {
        Objects.requireNonNull(currentRun, "currentRun");
        Objects.requireNonNull(addresses, "addresses");
    }

    /** Without an id. */
    public SandboxInfo(String name, SandboxStatus status, SandboxSpec spec, Instant createdAt, Instant updatedAt,
            Optional<RunInfo> currentRun, Optional<NetworkAddresses> addresses) {
        this(null, name, status, spec, createdAt, updatedAt, currentRun, addresses);
    }

    /** Without an id and network addresses. */
    public SandboxInfo(String name, SandboxStatus status, SandboxSpec spec, Instant createdAt, Instant updatedAt,
            Optional<RunInfo> currentRun) {
        this(null, name, status, spec, createdAt, updatedAt, currentRun, Optional.empty());
    }
}
