package io.msb.api.snapshot;

import io.msb.api.SandboxSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A disk snapshot as its artifact describes it.
 *
 * @param name the snapshot's name (its directory under {@code $MSB_HOME/snapshots})
 * @param digest {@code sha256:} of its {@code snapshot.json} manifest: the artifact's identity
 * @param sourceSandbox the sandbox it was taken from, or null when the manifest names none
 * @param imageRef the image reference the source sandbox was created with
 * @param imageManifestDigest the digest of that image's manifest when it was taken (a sandbox created from the
 *        snapshot boots this digest), or null when it could not be resolved
 * @param spec the source sandbox's spec (msb's extension of the manifest), or null for a foreign artifact
 * @param sizeBytes the logical size of the captured upper disk
 * @param upperDigest {@code sha256:} of the upper disk's bytes, as recorded when it was taken
 * @param path the artifact's directory
 * @param resumable the artifact also holds the VM's memory and device state: a sandbox created from it runs on
 *        from where the source stood (processes, shell variables, open files) instead of booting its disk
 */
public record SnapshotInfo(String name, String digest, String sourceSandbox, String imageRef,
        String imageManifestDigest, SandboxSpec spec, long sizeBytes, String upperDigest, Map<String, String> labels,
        Instant createdAt, Path path, boolean resumable) {
    public SnapshotInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(imageRef, "imageRef");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(path, "path");
        labels = Map.copyOf(labels);
    }

    /** A disk-only snapshot (the form of 1.0). */
    public SnapshotInfo(String name, String digest, String sourceSandbox, String imageRef, String imageManifestDigest,
            SandboxSpec spec, long sizeBytes, String upperDigest, Map<String, String> labels, Instant createdAt,
            Path path) {
        this(name, digest, sourceSandbox, imageRef, imageManifestDigest, spec, sizeBytes, upperDigest, labels,
                createdAt, path, false);
    }
}
