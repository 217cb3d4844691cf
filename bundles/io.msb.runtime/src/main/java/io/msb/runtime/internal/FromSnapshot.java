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

    /**
     * A resumable snapshot's VM runs on as it was (decision 1248): the request may not ask for another machine (CPUs,
     * memory, network device or not) or for what only a boot applies (mounts, rlimits, init). The settings a running
     * guest can take (hostname, env, user, workdir, network policy, limits of time) are the request's.
     *
     * @throws io.msb.api.InvalidConfigException naming the field that cannot differ
     */
    static void requireSameMachine(SandboxSpec asked, SnapshotInfo snapshot) {
        SandboxSpec base = snapshot.spec();
        if (base == null) {
            throw io.msb.api.Check.invalid("fromSnapshot", "snapshot " + snapshot.name() + " is resumable but records"
                    + " no spec, so the machine to restore is unknown");
        }
        String why = " a sandbox from resumable snapshot " + snapshot.name() + " runs on its saved VM";
        if (asked.cpus() != 0 && asked.cpus() != base.cpus()) {
            throw io.msb.api.Check.invalid("cpus", "must be " + base.cpus() + " or unset:" + why);
        }
        if (asked.memoryMib() != 0 && asked.memoryMib() != base.memoryMib()) {
            throw io.msb.api.Check.invalid("memoryMib", "must be " + base.memoryMib() + " or unset:" + why);
        }
        if (asked.network() != null && asked.networkEnabled() != base.networkEnabled()) {
            throw io.msb.api.Check.invalid("network.enabled", "must be " + base.networkEnabled() + ":" + why
                    + (base.networkEnabled() ? ", which has a network device" : ", which has no network device"));
        }
        if (!asked.mounts().isEmpty()) {
            throw io.msb.api.Check.invalid("mounts", "must be empty:" + why + " with the mounts it booted with");
        }
        if (!asked.rlimits().isEmpty() || asked.init() != null) {
            throw io.msb.api.Check.invalid(asked.init() != null ? "init" : "rlimits", "must be unset:" + why
                    + ", whose processes were started with the snapshot's");
        }
    }

    private static <T> T or(T given, T fallback) {
        return given != null ? given : fallback;
    }
}
