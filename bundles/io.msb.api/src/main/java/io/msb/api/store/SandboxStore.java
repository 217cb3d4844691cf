package io.msb.api.store;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Durable records of sandboxes and their runs. Every method is one transaction: it is applied whole or not at all.
 * Name conflicts raise {@link io.msb.api.AlreadyExistsException}; missing rows
 * {@link io.msb.api.NotFoundException}.
 */
@ProviderType
public interface SandboxStore {
    // sandboxes

    void insertSandbox(SandboxRecord sandbox);

    void updateStatus(String name, SandboxStatus status, Instant at);

    /** Replaces the stored spec (e.g. after a live network policy change); status and times stay as they are. */
    void updateConfig(String name, String configJson);

    Optional<SandboxRecord> findSandbox(String name);

    /** The sandbox with that public id ({@link SandboxRecord#id()}). */
    Optional<SandboxRecord> findSandboxById(UUID id);

    /** Every sandbox the selector matches, in name order. */
    List<SandboxRecord> listSandboxes(LabelSelector selector);

    /**
     * One page of {@link #listSandboxes(LabelSelector)}: at most {@code limit} sandboxes whose names sort after
     * {@code afterName} ({@link String#compareTo}; null: from the first), in name order. A keyset query: the cost
     * is the page's, not the number of sandboxes before it.
     */
    List<SandboxRecord> listSandboxes(LabelSelector selector, String afterName, int limit);

    /** Deletes the sandbox with its labels and runs; returns whether it existed. */
    boolean deleteSandbox(String name);

    // runs

    /** Records a new run and sets the sandbox's status, in one transaction. */
    RunRecord startRun(String sandbox, long pid, Instant at, SandboxStatus status);

    /** Ends a run and sets the sandbox's status, in one transaction. */
    void terminateRun(long runId, TerminationReason reason, Integer exitCode, Integer signal, Instant at,
            SandboxStatus sandboxStatus);

    /** The newest run of the sandbox. */
    Optional<RunRecord> latestRun(String sandbox);

    List<RunRecord> runs(String sandbox);
}
