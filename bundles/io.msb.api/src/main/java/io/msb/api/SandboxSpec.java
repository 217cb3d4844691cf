package io.msb.api;

import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to create a sandbox. Unset optional values are {@code null} (or 0 for numbers) and
 * take the platform's configured defaults or the image's own settings. Validation against the platform's
 * rules happens in {@link SandboxService#create}, not here, so that one error names every rule precisely.
 *
 * @param name unique name, at most 128 UTF-8 bytes, safe as a path element
 * @param rootfs where the root filesystem comes from; null only with {@code fromSnapshot}, whose image it is
 * @param cpus virtual CPUs, 0 for the default
 * @param memoryMib guest memory in MiB, 0 for the default
 * @param diskSizeMib size of the writable upper disk in MiB, 0 for the default
 * @param env extra environment for every process in the guest (keys must not start with {@code MSB_})
 * @param labels user labels (keys non-empty, not prefixed {@code sandbox.}, {@code microsandbox.}, {@code service.})
 * @param workdir working directory in the guest, or null for the image's
 * @param user user in the guest (name or uid[:gid]), or null for the image's
 * @param hostname guest hostname (at most 64 bytes), or null to derive it from the name
 * @param shell shell used for string commands, or null for {@code /bin/sh}
 * @param mounts host directories, named volumes, tmpfs and disk images to mount (at most 64)
 * @param network the sandbox's network (microsandbox's {@code NetworkConfig}), or null for none; the runtime
 *                checks what it cannot do yet (e.g. {@code strict}, {@code secrets})
 * @param idleTimeout stop the sandbox after this much inactivity, or null for never
 * @param maxDuration stop the sandbox after this much run time, or null for never
 * @param pullPolicy when to contact the registry
 * @param replace replace an existing sandbox of the same name (stopping it first)
 * @param detached the sandbox outlives the process that created it
 * @param ephemeral remove the sandbox's records and disks when it stops
 * @param rlimits resource limits of the guest's first process, which every process in the guest inherits
 *                (resource names as {@link Rlimit}'s, without the {@code RLIMIT_} prefix)
 * @param init an init system to hand PID 1 of the guest to (e.g. systemd), or null for none (the agent stays PID 1)
 * @param fromSnapshot the disk snapshot the sandbox starts from ({@link io.msb.api.snapshot}), or null: the sandbox
 *        boots the snapshot's image (pinned to its digest) over a copy of its writable disk, and the settings not
 *        given here come from the snapshot's spec. A spec as stored, after create, never has one.
 * @param backend the backend that runs the sandbox: a VMM backend ({@code qemu}, {@code libkrun}) or a sandbox
 *        backend ({@code cloud}), or null for the platform's default. A spec as stored, after create, names the one
 *        chosen (decision 1701).
 */
public record SandboxSpec(
        String name,
        RootfsSource rootfs,
        int cpus,
        int memoryMib,
        int diskSizeMib,
        Map<String, String> env,
        Map<String, String> labels,
        String workdir,
        String user,
        String hostname,
        String shell,
        List<Mount> mounts,
        NetworkConfig network,
        Duration idleTimeout,
        Duration maxDuration,
        PullPolicy pullPolicy,
        boolean replace,
        boolean detached,
        boolean ephemeral,
        List<Rlimit> rlimits,
        HandoffInit init,
        String fromSnapshot,
        String backend) {

    public SandboxSpec {
        Objects.requireNonNull(name, "name");
        if (fromSnapshot == null) {
            Objects.requireNonNull(rootfs, "rootfs");
        }
        env = Map.copyOf(env == null ? Map.of() : env);
        labels = Map.copyOf(labels == null ? Map.of() : labels);
        mounts = List.copyOf(mounts == null ? List.of() : mounts);
        pullPolicy = pullPolicy == null ? PullPolicy.IF_MISSING : pullPolicy;
        rlimits = List.copyOf(rlimits == null ? List.of() : rlimits);
    }

    /** A spec without resource limits or an init handoff (the form before 2.2). */
    public SandboxSpec(String name, RootfsSource rootfs, int cpus, int memoryMib, int diskSizeMib,
            Map<String, String> env, Map<String, String> labels, String workdir, String user, String hostname,
            String shell, List<Mount> mounts, NetworkConfig network, Duration idleTimeout, Duration maxDuration,
            PullPolicy pullPolicy, boolean replace, boolean detached, boolean ephemeral) {
        this(name, rootfs, cpus, memoryMib, diskSizeMib, env, labels, workdir, user, hostname, shell, mounts, network,
                idleTimeout, maxDuration, pullPolicy, replace, detached, ephemeral, List.of(), null, null, null);
    }

    /** A spec without a snapshot to start from (the form before 2.4). */
    public SandboxSpec(String name, RootfsSource rootfs, int cpus, int memoryMib, int diskSizeMib,
            Map<String, String> env, Map<String, String> labels, String workdir, String user, String hostname,
            String shell, List<Mount> mounts, NetworkConfig network, Duration idleTimeout, Duration maxDuration,
            PullPolicy pullPolicy, boolean replace, boolean detached, boolean ephemeral, List<Rlimit> rlimits,
            HandoffInit init) {
        this(name, rootfs, cpus, memoryMib, diskSizeMib, env, labels, workdir, user, hostname, shell, mounts, network,
                idleTimeout, maxDuration, pullPolicy, replace, detached, ephemeral, rlimits, init, null, null);
    }

    /** A spec without a backend named, for the platform's default (the form before 2.7). */
    public SandboxSpec(String name, RootfsSource rootfs, int cpus, int memoryMib, int diskSizeMib,
            Map<String, String> env, Map<String, String> labels, String workdir, String user, String hostname,
            String shell, List<Mount> mounts, NetworkConfig network, Duration idleTimeout, Duration maxDuration,
            PullPolicy pullPolicy, boolean replace, boolean detached, boolean ephemeral, List<Rlimit> rlimits,
            HandoffInit init, String fromSnapshot) {
        this(name, rootfs, cpus, memoryMib, diskSizeMib, env, labels, workdir, user, hostname, shell, mounts, network,
                idleTimeout, maxDuration, pullPolicy, replace, detached, ephemeral, rlimits, init, fromSnapshot, null);
    }

    /** Whether the sandbox gets a network interface. */
    public boolean networkEnabled() {
        return network != null && network.enabled();
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder that starts from this spec. */
    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.rootfs = rootfs;
        b.cpus = cpus;
        b.memoryMib = memoryMib;
        b.diskSizeMib = diskSizeMib;
        b.env.putAll(env);
        b.labels.putAll(labels);
        b.workdir = workdir;
        b.user = user;
        b.hostname = hostname;
        b.shell = shell;
        b.mounts.addAll(mounts);
        b.network = network;
        b.idleTimeout = idleTimeout;
        b.maxDuration = maxDuration;
        b.pullPolicy = pullPolicy;
        b.replace = replace;
        b.detached = detached;
        b.ephemeral = ephemeral;
        b.rlimits.addAll(rlimits);
        b.init = init;
        b.fromSnapshot = fromSnapshot;
        b.backend = backend;
        return b;
    }

    /** Fluent construction: {@code SandboxSpec.builder("dev").image("debian:bookworm").cpus(2).build()}. */
    public static final class Builder {
        private final String name;
        private RootfsSource rootfs;
        private int cpus;
        private int memoryMib;
        private int diskSizeMib;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private String workdir;
        private String user;
        private String hostname;
        private String shell;
        private final List<Mount> mounts = new ArrayList<>();
        private NetworkConfig network;
        private Duration idleTimeout;
        private Duration maxDuration;
        private PullPolicy pullPolicy;
        private boolean replace;
        private boolean detached;
        private boolean ephemeral;
        private final List<Rlimit> rlimits = new ArrayList<>();
        private HandoffInit init;
        private String fromSnapshot;
        private String backend;

        private Builder(String name) {
            this.name = name;
        }

        /** @throws InvalidConfigException naming the field {@code image} when the reference is malformed */
        public Builder image(String reference) {
            return rootfs(RootfsSource.image(reference));
        }

        public Builder rootfs(RootfsSource source) {
            this.rootfs = source;
            return this;
        }

        public Builder cpus(int cpus) {
            this.cpus = cpus;
            return this;
        }

        public Builder memoryMib(int memoryMib) {
            this.memoryMib = memoryMib;
            return this;
        }

        public Builder diskSizeMib(int diskSizeMib) {
            this.diskSizeMib = diskSizeMib;
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder env(Map<String, String> values) {
            env.putAll(values);
            return this;
        }

        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public Builder labels(Map<String, String> values) {
            labels.putAll(values);
            return this;
        }

        public Builder workdir(String workdir) {
            this.workdir = workdir;
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder hostname(String hostname) {
            this.hostname = hostname;
            return this;
        }

        public Builder shell(String shell) {
            this.shell = shell;
            return this;
        }

        public Builder mount(Mount mount) {
            mounts.add(mount);
            return this;
        }

        /** Replaces the mounts given so far. */
        public Builder mounts(List<Mount> values) {
            mounts.clear();
            mounts.addAll(values);
            return this;
        }

        /** The whole network configuration; null (the builder's default) means no network. */
        public Builder network(NetworkConfig network) {
            this.network = network;
            return this;
        }

        /** Networking on with this policy (keeping the rest of the configuration already given). */
        public Builder networkPolicy(NetworkPolicy policy) {
            this.network = (network == null || !network.enabled() ? NetworkConfig.defaults() : network).withPolicy(policy);
            return this;
        }

        /**
         * A secret the guest may use but never read (networking on, keeping the configuration already given): the
         * guest's {@code envVar} holds {@code $MSB_<envVar>}, and the network puts {@code value} in its place only in
         * requests to {@code hosts} (names, {@code *.example.com}, or {@code *}/{@code any} for every host).
         */
        public Builder secret(String envVar, String value, String... hosts) {
            return secret(io.msb.api.network.SecretEntry.of(envVar, value,
                    java.util.Arrays.stream(hosts).map(io.msb.api.network.HostPattern::parse).toList()));
        }

        /** A secret entry with every field given (placeholder, injection, its own violation action…). */
        public Builder secret(io.msb.api.network.SecretEntry entry) {
            NetworkConfig base = network == null || !network.enabled() ? NetworkConfig.defaults() : network;
            java.util.List<io.msb.api.network.SecretEntry> entries = new java.util.ArrayList<>(base.secrets().entries());
            entries.add(entry);
            this.network = base.withSecrets(new io.msb.api.network.SecretsConfig(entries,
                    base.secrets().onViolation()));
            return this;
        }

        /** What happens when a secret's placeholder goes to a host it does not allow (default block-and-log). */
        public Builder secretsOnViolation(io.msb.api.network.ViolationAction action) {
            NetworkConfig base = network == null || !network.enabled() ? NetworkConfig.defaults() : network;
            this.network = base.withSecrets(new io.msb.api.network.SecretsConfig(base.secrets().entries(), action));
            return this;
        }

        /** microsandbox's {@code strict}: hostname-based allows need an inspectable authority (SNI, Host, CONNECT). */
        public Builder strictNetwork(boolean strict) {
            this.network = (network == null || !network.enabled() ? NetworkConfig.defaults() : network)
                    .withStrict(strict);
            return this;
        }

        /** TLS interception settings (networking on, keeping the rest). */
        public Builder tls(io.msb.api.network.TlsConfig tls) {
            this.network = (network == null || !network.enabled() ? NetworkConfig.defaults() : network).withTls(tls);
            return this;
        }

        /** No network interface at all. */
        public Builder disableNetwork() {
            this.network = NetworkConfig.disabled();
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        public Builder maxDuration(Duration maxDuration) {
            this.maxDuration = maxDuration;
            return this;
        }

        public Builder pullPolicy(PullPolicy pullPolicy) {
            this.pullPolicy = pullPolicy;
            return this;
        }

        public Builder replace(boolean replace) {
            this.replace = replace;
            return this;
        }

        public Builder detached(boolean detached) {
            this.detached = detached;
            return this;
        }

        public Builder ephemeral(boolean ephemeral) {
            this.ephemeral = ephemeral;
            return this;
        }

        /** Adds a resource limit of the guest's processes. */
        public Builder rlimit(Rlimit rlimit) {
            rlimits.add(rlimit);
            return this;
        }

        /** Hands PID 1 to this init system (null: none). */
        public Builder init(HandoffInit init) {
            this.init = init;
            return this;
        }

        /**
         * Hands PID 1 to {@code cmd} ({@value HandoffInit#AUTO} or an absolute path), without arguments.
         *
         * @throws InvalidConfigException naming {@code init.cmd} when it is neither
         */
        public Builder init(String cmd) {
            return init(HandoffInit.of(cmd));
        }

        /**
         * Starts the sandbox from a disk snapshot (microsandbox's {@code fromSnapshot}): its image and writable
         * disk, and its spec's settings where this builder gives none. Cannot be combined with an image or root.
         */
        public Builder fromSnapshot(String snapshot) {
            this.fromSnapshot = snapshot;
            return this;
        }

        /**
         * The backend that runs the sandbox ({@code qemu}, {@code libkrun}, {@code cloud}, …), or null for the
         * platform's default; checked at create, which refuses a backend that is not running or lacks a feature the
         * sandbox needs.
         */
        public Builder backend(String backend) {
            this.backend = backend;
            return this;
        }

        /** @throws InvalidConfigException naming {@code image} when both a root and a snapshot are given */
        public SandboxSpec build() {
            if (fromSnapshot != null && rootfs != null) {
                throw Check.invalid("image", "cannot be combined with fromSnapshot " + fromSnapshot
                        + ": a sandbox from a snapshot boots the snapshot's image");
            }
            return new SandboxSpec(name, rootfs, cpus, memoryMib, diskSizeMib, env, labels, workdir, user,
                    hostname, shell, mounts, network, idleTimeout, maxDuration, pullPolicy, replace, detached,
                    ephemeral, rlimits, init, fromSnapshot, backend);
        }
    }
}
