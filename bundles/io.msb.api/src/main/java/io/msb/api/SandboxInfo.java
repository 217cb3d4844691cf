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
 * @param backendAvailable whether the backend that runs it ({@code spec.backend()}) is there now: false while that
 *        VMM backend's bundle is stopped or its remote server cannot be reached. The status is then the last one
 *        known (a running VM goes on running; it is reattached when its backend comes back), never Crashed for that.
 */
public record SandboxInfo(UUID id, String name, SandboxStatus status, SandboxSpec spec, Instant createdAt,
        Instant updatedAt, Optional<RunInfo> currentRun, Optional<NetworkAddresses> addresses,
        boolean backendAvailable) {
    public SandboxInfo {
        Objects.requireNonNull(currentRun, "currentRun");
        Objects.requireNonNull(addresses, "addresses");
    }

    /** With its backend available (the form before 2.7). */
    public SandboxInfo(UUID id, String name, SandboxStatus status, SandboxSpec spec, Instant createdAt,
            Instant updatedAt, Optional<RunInfo> currentRun, Optional<NetworkAddresses> addresses) {
        this(id, name, status, spec, createdAt, updatedAt, currentRun, addresses, true);
    }

    /** The same information with {@code backendAvailable} set. */
    public SandboxInfo withBackendAvailable(boolean available) {
        return available == backendAvailable ? this
                : new SandboxInfo(id, name, status, spec, createdAt, updatedAt, currentRun, addresses, available);
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
