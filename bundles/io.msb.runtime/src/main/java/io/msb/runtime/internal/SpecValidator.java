package io.msb.runtime.internal;

import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkConfig;
import io.msb.api.spi.VmmCapabilities;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The platform's rules for a sandbox spec, worded as microsandbox words them. */
final class SpecValidator {
    static final int MAX_NAME_BYTES = 128;
    static final int MAX_HOSTNAME_BYTES = 64;
    /**
     * sun_path is 108 bytes with its terminating NUL, but the JDK's UNIX sockets (the relay's agent.sock) refuse paths
     * of more than 106 bytes ("Unix domain path too long"): the limit is what our own relay can bind.
     */
    static final int MAX_SOCKET_PATH_BYTES = 106;
    /** The longest socket file name in a sandbox directory (agent.sock; vm.sock and qmp.sock are shorter). */
    static final String LONGEST_SOCKET = "agent.sock";
    /** The kernel's MAX_ARG_STRLEN (32 pages): one KEY=VALUE string, with its NUL, must fit. */
    static final int MAX_ENV_ENTRY_BYTES = 128 * 1024 - 1;
    static final int MAX_ENV_TOTAL_BYTES = 256 * 1024;
    /** microsandbox's rlimit resources (its {@code RlimitResource}), which agentd knows. */
    static final List<String> RLIMIT_RESOURCES = List.of("cpu", "fsize", "data", "stack", "core", "rss", "nproc",
            "nofile", "memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime");
    private static final List<String> RESERVED_LABEL_PREFIXES = List.of("sandbox.", "microsandbox.", "service.");

    private SpecValidator() {
    }

    /** Checks every rule and returns the spec with the hostname derived when absent. */
    static SandboxSpec validate(SandboxSpec spec) {
        validateName(spec.name());
        validateHostname(spec.hostname());
        validateLabels(spec.labels());
        validateEnv(spec.env());
        validateResources(spec);
        validateRootfs(spec.rootfs());
        validateNetwork(spec.network());
        validateRlimits(spec.rlimits());
        return spec.hostname() != null ? spec : spec.toBuilder().hostname(Hostnames.fromSandboxName(spec.name())).build();
    }

    /** A name is 1..128 bytes of ASCII letters, digits, dots, hyphens and underscores, starting alphanumeric. */
    static void validateName(String name) {
        if (name.isEmpty()) {
            throw new InvalidConfigException("name", "sandbox name must not be empty");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new InvalidConfigException("name",
                    "sandbox name must be at most " + MAX_NAME_BYTES + " characters: got " + bytes);
        }
        boolean firstAlphanumeric = isAsciiAlphanumeric(name.charAt(0));
        boolean charsetOk = name.chars().allMatch(c -> isAsciiAlphanumeric(c) || c == '.' || c == '-' || c == '_');
        if (!firstAlphanumeric || !charsetOk) {
            throw new InvalidConfigException("name", "sandbox name must start with an alphanumeric and contain only "
                    + "alphanumeric, dots, hyphens, and underscores: " + name);
        }
    }

    static void validateHostname(String hostname) {
        if (hostname == null) {
            return;
        }
        if (hostname.isEmpty()) {
            throw new InvalidConfigException("hostname", "hostname must not be empty");
        }
        int bytes = hostname.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_HOSTNAME_BYTES) {
            throw new InvalidConfigException("hostname",
                    "hostname is too long: " + bytes + " bytes (max " + MAX_HOSTNAME_BYTES + ")");
        }
    }

    static void validateLabels(Map<String, String> labels) {
        for (String key : labels.keySet()) {
            if (key.isEmpty()) {
                throw new InvalidConfigException("labels", "label key must not be empty");
            }
            for (String prefix : RESERVED_LABEL_PREFIXES) {
                if (key.startsWith(prefix)) {
                    throw new InvalidConfigException("labels",
                            "label key '" + key + "' uses reserved prefix '" + prefix + "'");
                }
            }
        }
    }

    /**
     * The sandbox's sockets live in {@code <home>/sandboxes/<name>/}, so the name must leave room for the longest
     * one within sun_path; the limit depends on where the home is.
     */
    static void validateSocketPath(String name, Path sandboxesDir) {
        int fixed = (sandboxesDir.toAbsolutePath() + "/").getBytes(StandardCharsets.UTF_8).length
                + ("/" + LONGEST_SOCKET).length();
        int max = MAX_SOCKET_PATH_BYTES - fixed;
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > max) {
            throw new InvalidConfigException("name", "sandbox name is too long for this host: " + bytes
                    + " bytes, at most " + max + " here, because " + sandboxesDir.toAbsolutePath() + "/<name>/"
                    + LONGEST_SOCKET + " must fit in a UNIX socket path (" + MAX_SOCKET_PATH_BYTES + " bytes)");
        }
    }

    static void validateEnv(Map<String, String> env) {
        long total = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            int bytes = (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_ENV_ENTRY_BYTES) {
                throw new InvalidConfigException("env", "environment variable \"" + e.getKey() + "\" is too long: "
                        + bytes + " bytes as KEY=VALUE (max " + MAX_ENV_ENTRY_BYTES + ", the kernel's MAX_ARG_STRLEN)");
            }
            total += bytes + 1;
        }
        if (total > MAX_ENV_TOTAL_BYTES) {
            throw new InvalidConfigException("env", "environment is too large: " + total
                    + " bytes as KEY=VALUE strings (max " + MAX_ENV_TOTAL_BYTES + ")");
        }
        for (String key : env.keySet()) {
            if (key.startsWith("MSB_")) {
                throw new InvalidConfigException("env",
                        "environment variable \"" + key + "\" uses the reserved MSB_ prefix");
            }
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                throw new InvalidConfigException("env",
                        "environment variable name must be non-empty without '=' or NUL: \"" + key + "\"");
            }
        }
    }

    /**
     * CPUs and memory, defaults applied, against what the backend that will boot the sandbox declares: the one place
     * they are checked (front ends only map fields; the backend trusts this check).
     */
    static void validateLimits(SandboxSpec spec, String backend, VmmCapabilities limits) {
        inRange("cpus", spec.cpus(), limits.minCpus(), limits.maxCpus(), backend);
        inRange("memoryMib", spec.memoryMib(), limits.minMemoryMib(), limits.maxMemoryMib(), backend);
    }

    private static void inRange(String field, int value, int min, int max, String backend) {
        if (value < min || value > max) {
            throw Check.invalid(field, value + " is outside " + min + ".." + max + " supported by backend " + backend);
        }
    }

    private static void validateResources(SandboxSpec spec) {
        requireNonNegative("diskSizeMib", spec.diskSizeMib());
        if (spec.idleTimeout() != null && (spec.idleTimeout().isNegative() || spec.idleTimeout().isZero())) {
            throw new InvalidConfigException("idleTimeout", "idleTimeout must be positive: " + spec.idleTimeout());
        }
        if (spec.maxDuration() != null && (spec.maxDuration().isNegative() || spec.maxDuration().isZero())) {
            throw new InvalidConfigException("maxDuration", "maxDuration must be positive: " + spec.maxDuration());
        }
        if (spec.workdir() != null && !spec.workdir().startsWith("/")) {
            throw new InvalidConfigException("workdir", "workdir must be an absolute path: " + spec.workdir());
        }
    }

    private static void requireNonNegative(String field, int value) {
        if (value < 0) {
            throw new InvalidConfigException(field, field + " must not be negative: " + value);
        }
    }

    /**
     * The host-side checks of non-image roots: a bind path must be a directory, a disk image a regular file. An image
     * reference was checked where it was parsed.
     */
    private static void validateRootfs(RootfsSource rootfs) {
        if (rootfs instanceof RootfsSource.HostDirectory dir && !Files.isDirectory(dir.path())) {
            throw new InvalidConfigException("rootfs", "rootfs path must be an existing directory: " + dir.path());
        } else if (rootfs instanceof RootfsSource.DiskImage disk && !Files.isRegularFile(disk.path())) {
            throw new InvalidConfigException("rootfs", "disk image must be a regular file: " + disk.path());
        }
    }

    /**
     * The record itself checked its shape and ranges when it was built; what is left are the fields microsandbox
     * has and this platform does not do yet. They are stored as given, so a refusal names the field instead of
     * silently ignoring it.
     */
    /** Each resource named once, from microsandbox's list, with soft at most hard. */
    static void validateRlimits(List<Rlimit> rlimits) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < rlimits.size(); i++) {
            Rlimit r = rlimits.get(i);
            String field = "rlimits[" + i + "]";
            if (!RLIMIT_RESOURCES.contains(r.resource())) {
                throw Check.invalid(field + ".resource", "must be one of " + String.join(", ", RLIMIT_RESOURCES)
                        + ": got " + r.resource());
            }
            if (!seen.add(r.resource())) {
                throw Check.invalid(field + ".resource", r.resource() + " is limited twice");
            }
            if (r.soft() < 0 || r.hard() < 0) {
                throw Check.invalid(field, "limits must not be negative: got soft " + r.soft() + ", hard " + r.hard());
            }
            if (r.soft() > r.hard()) {
                throw Check.invalid(field, "soft limit must be at most the hard limit: got soft " + r.soft()
                        + ", hard " + r.hard());
            }
        }
    }

    static void validateNetwork(NetworkConfig network) {
        if (network != null && !network.enabled() && network.hasSecrets()) {
            // a secret is only ever seen by the network's proxy: without one it would silently never apply
            throw Check.invalid("network.secrets", "entries need a network: network.enabled is false");
        }
        if (network == null || !network.enabled()) {
            return;
        }
        if (network.strict()) {
            throw notYet("network.strict", "true (hostname-based allows need TLS interception)");
        }
        if (network.hasSecrets()) {
            throw notYet("network.secrets", "entries (secret injection needs TLS interception)");
        }
        if (network.tlsEnabled()) {
            throw notYet("network.tls", "enabled");
        }
        if (network.trustHostCas()) {
            throw notYet("network.trust_host_cas", "true");
        }
    }

    private static InvalidConfigException notYet(String field, String value) {
        return Check.invalid(field, value + " is not supported yet");
    }

    private static boolean isAsciiAlphanumeric(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
