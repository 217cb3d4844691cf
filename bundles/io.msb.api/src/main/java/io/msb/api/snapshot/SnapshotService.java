package io.msb.api.snapshot;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Disk snapshots of stopped sandboxes and resumable (memory) snapshots of running ones. Errors: {@link io.msb.api.InvalidConfigException} (bad name or label),
 * {@link io.msb.api.AlreadyExistsException}, {@link io.msb.api.NotFoundException},
 * {@link io.msb.api.InvalidStateException} (the source sandbox is not stopped),
 * {@link SnapshotCorruptException} (an artifact's bytes no longer match its manifest).
 */
@ProviderType
public interface SnapshotService {
    /**
     * Captures the writable disk of the stopped sandbox {@code sourceSandbox}, with its spec and image digest.
     *
     * @param force replace a snapshot of the same name
     */
    SnapshotInfo create(String name, String sourceSandbox, Map<String, String> labels, boolean force);

    /**
     * Captures a running or paused sandbox whole: its memory, CPU and device state with its writable disk, spec and
     * image digest (microsandbox's {@code resumable} snapshot). The sandbox is paused while it is captured and then
     * returns to the state it was in. A sandbox with bind mounts or volumes cannot be captured (their files live on
     * the host, outside the artifact).
     *
     * @param force replace a snapshot of the same name
     * @since 1.1
     */
    SnapshotInfo createResumable(String name, String sourceSandbox, Map<String, String> labels, boolean force);

    /**
     * Restores a resumable snapshot into one new sandbox per name: each runs on from the captured state with its own
     * name, hostname (the name), network address and random seed. All are created or none: a failure removes the
     * ones already made.
     *
     * @return the new sandboxes, in the order of {@code sandboxNames}
     * @since 1.1
     */
    List<io.msb.api.SandboxInfo> branch(String name, List<String> sandboxNames);

    /** The snapshot as its manifest says; the upper disk's bytes are not read (see {@link #verify}). */
    Optional<SnapshotInfo> get(String name);

    /** Every valid snapshot, in name order; a directory without a readable manifest is not one. */
    List<SnapshotInfo> list();

    /**
     * Reads the upper disk and checks its sha256 against the manifest.
     *
     * @throws SnapshotCorruptException naming the file and both digests when they differ
     */
    SnapshotInfo verify(String name);

    void remove(String name);

    /** Writes the artifact as one tar file ({@code snapshot.json}, then {@code upper.ext4}). */
    void exportTo(String name, Path file);

    /**
     * Reads a file {@link #exportTo} wrote, checks the upper disk against its manifest, and adds the snapshot
     * as {@code name}, or when null as the file's name without {@code .tar} (a manifest holds no name).
     */
    SnapshotInfo importFrom(Path file, String name, boolean force);
}
