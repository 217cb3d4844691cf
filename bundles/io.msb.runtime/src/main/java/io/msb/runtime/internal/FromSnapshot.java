package io.msb.runtime.internal;

import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.image.ImageReference;
import io.msb.api.snapshot.SnapshotInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The spec a sandbox created from a snapshot boots (decision 1235): the snapshot's image — by its reference while
 * the local cache holds that reference at the digest the snapshot recorded, else a registry reference pinned to that
 * digest (a {@code builtin:} image has no digest form) — and each setting the request leaves unset (0, null, empty) taken from the snapshot's spec;
 * env and labels are the snapshot's with the request's on top. The name, hostname, replace, detached, ephemeral and
 * pull policy are the request's alone: the new sandbox is a new identity.
 */
final class FromSnapshot {
    private FromSnapshot() {
    }

    /**
     * @param localDigest the manifest digest of the image a reference names in the local cache, if it is there
     */
    static SandboxSpec spec(SandboxSpec requested, SnapshotInfo snapshot,
            Function<ImageReference, Optional<String>> localDigest) {
        SandboxSpec base = snapshot.spec() != null ? snapshot.spec() : SandboxSpec.builder(requested.name())
                .image(snapshot.imageRef()).build();
        ImageReference ref = ImageReference.parse(snapshot.imageRef());
        String digest = snapshot.imageManifestDigest();
        if (digest != null && ref.digest() == null && ref.kind() == ImageReference.Kind.REGISTRY
                && !localDigest.apply(ref).map(digest::equals).orElse(false)) {
            ref = ImageReference.parse(snapshot.imageRef() + "@" + snapshot.imageManifestDigest());
        }
        Map<String, String> env = new LinkedHashMap<>(base.env());
        env.putAll(requested.env());
        Map<String, String> labels = new LinkedHashMap<>(base.labels());
        labels.putAll(requested.labels());
        SandboxSpec.Builder b = SandboxSpec.builder(requested.name())
                .rootfs(new RootfsSource.OciImage(ref))
                .cpus(requested.cpus() != 0 ? requested.cpus() : base.cpus())
                .memoryMib(requested.memoryMib() != 0 ? requested.memoryMib() : base.memoryMib())
                .diskSizeMib(base.diskSizeMib())
                .env(env)
                .labels(labels)
                .workdir(or(requested.workdir(), base.workdir()))
                .user(or(requested.user(), base.user()))
                .hostname(requested.hostname())
                .shell(or(requested.shell(), base.shell()))
                .mounts(requested.mounts().isEmpty() ? base.mounts() : requested.mounts())
                .network(or(requested.network(), base.network()))
                .idleTimeout(or(requested.idleTimeout(), base.idleTimeout()))
                .maxDuration(or(requested.maxDuration(), base.maxDuration()))
                .pullPolicy(requested.pullPolicy())
                .replace(requested.replace())
                .detached(requested.detached())
                .ephemeral(requested.ephemeral())
                .init(or(requested.init(), base.init()));
        (requested.rlimits().isEmpty() ? base.rlimits() : requested.rlimits()).forEach(b::rlimit);
        return b.build();
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }
}
