package io.msb.runtime.internal;

import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkConfig;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.volume.VolumeService;
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
    /** At most this many mounts a sandbox (agentd's BOOTSTRAP_MOUNTS_MAX). */
    static final int MAX_MOUNTS = 64;
    /** The longest guest path agentd mounts at (its MOUNT_PATH_MAX). */
    static final int MAX_GUEST_PATH_BYTES = 1024;
    /** The guest's kernel file systems: a mount there would hide or fake them. */
    private static final List<String> GUEST_RESERVED = List.of("/proc", "/sys", "/dev");
    private static final Set<String> DISK_FORMATS = Set.of("raw", "qcow2");
    private static final java.util.regex.Pattern FSTYPE = java.util.regex.Pattern.compile("[A-Za-z0-9_]{1,15}");
    private static final java.util.regex.Pattern VOLUME_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,62}");
    /** A backend's name as configured and registered ({@code qemu}, {@code libkrun}, {@code cloud}). */
    private static final java.util.regex.Pattern BACKEND_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9_-]{0,31}");
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
        if (spec.backend() != null) {
            backendName(spec.backend());
        }
        return spec.hostname() != null ? spec : spec.toBuilder().hostname(Hostnames.fromSandboxName(spec.name())).build();
    }

    /** A backend name: 1-32 characters of a-z 0-9 _ -, starting with a letter. */
    static String backendName(String name) {
        if (!BACKEND_NAME.matcher(name).matches()) {
            throw Check.invalid("backend", "must be 1-32 characters of a-z 0-9 _ - starting with a letter, got '"
                    + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
        }
        return name;
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
        boolean hostMounts = spec.mounts().stream().anyMatch(m -> m.kind() != Mount.Kind.TMPFS);
        if (hostMounts && !limits.features().contains(VmmCapabilities.Feature.VOLUMES)) {
            throw Check.invalid("mounts", "backend " + backend + " cannot mount host directories, volumes or disk"
                    + " images");
        }
        if (spec.networkEnabled() && !limits.supports(VmmCapabilities.Feature.NETWORK)) {
            throw Check.invalid("network", "backend " + backend + " does not support NETWORK (create the sandbox"
                    + " without a network, or on a backend that has one)");
        }
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

    /**
     * Mounts (decision 1200): at most {@value #MAX_MOUNTS}; guest paths absolute, normalized, unique, not {@code /}
     * and not under /proc, /sys or /dev; host paths absolute and existing (a directory to bind, a regular file to
     * attach), outside msb's home and not containing it, recorded resolved ({@code toRealPath}: a symbolic link is
     * followed now, on the host, and never again); named volumes existing in {@code volumes}. Errors name the entry's
     * field ({@code mounts[2].host}) and the rule.
     *
     * @param volumes the named-volume service, or null when none runs
     * @return the spec with host paths resolved
     */
    static SandboxSpec validateMounts(SandboxSpec spec, Path home, VolumeService volumes) {
        List<Mount> mounts = spec.mounts();
        if (mounts.isEmpty()) {
            return spec;
        }
        if (mounts.size() > MAX_MOUNTS) {
            throw Check.invalid("mounts", "has " + mounts.size() + " entries (at most " + MAX_MOUNTS + ")");
        }
        Path realHome = realOrAbsolute(home);
        Set<String> guests = new HashSet<>();
        List<Mount> resolved = new java.util.ArrayList<>();
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            String field = "mounts[" + i + "]";
            guestPath(field + ".guest", m.guestPath());
            if (!guests.add(m.guestPath())) {
                throw Check.invalid(field + ".guest", m.guestPath() + " is mounted twice");
            }
            if (m.kind() != Mount.Kind.TMPFS && m.sizeMib() != 0) {
                throw Check.invalid(field + ".size_mib", "applies to tmpfs mounts only");
            }
            if (m.kind() != Mount.Kind.DISK_IMAGE && (m.format() != null || m.fstype() != null)) {
                throw Check.invalid(field + (m.format() != null ? ".format" : ".fstype"),
                        "applies to disk_image mounts only");
            }
            resolved.add(switch (m.kind()) {
                case BIND -> m.withSource(hostPath(field + ".host", m.source(), true, realHome).toString());
                case DISK_IMAGE -> diskImage(field, m, realHome);
                case VOLUME -> volume(field + ".name", m, volumes);
                case TMPFS -> {
                    if (m.sizeMib() < 0) {
                        throw Check.invalid(field + ".size_mib", "must not be negative: " + m.sizeMib());
                    }
                    yield m;
                }
            });
        }
        return spec.toBuilder().mounts(resolved).build();
    }

    private static void guestPath(String field, String path) {
        if (!path.startsWith("/")) {
            throw Check.invalid(field, "must be an absolute path: " + path);
        }
        if (path.equals("/")) {
            throw Check.invalid(field, "must not be / (the sandbox's root)");
        }
        if (path.indexOf('\0') >= 0 || path.endsWith("/") || !Path.of(path).normalize().toString().equals(path)) {
            throw Check.invalid(field, "must be normalized (no ., .., // or trailing /): " + path);
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_GUEST_PATH_BYTES) {
            throw Check.invalid(field, "is longer than " + MAX_GUEST_PATH_BYTES + " bytes");
        }
        for (String reserved : GUEST_RESERVED) {
            if (path.equals(reserved) || path.startsWith(reserved + "/")) {
                throw Check.invalid(field, "must not be under " + reserved + " (the guest kernel's): " + path);
            }
        }
    }

    /** The host path resolved; a directory ({@code directory}) or a regular file; not msb's home, in it or above it. */
    private static Path hostPath(String field, String path, boolean directory, Path realHome) {
        if (path == null || path.isEmpty() || !path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw Check.invalid(field, "must be an absolute host path: " + path);
        }
        Path real;
        try {
            real = Path.of(path).toRealPath();
        } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
            throw Check.invalid(field, "does not exist on the host: " + path);
        }
        if (directory ? !Files.isDirectory(real) : !Files.isRegularFile(real)) {
            throw Check.invalid(field, "must be " + (directory ? "a directory" : "a regular file") + " on the host: "
                    + path + (real.toString().equals(path) ? "" : " (" + real + ")"));
        }
        if (real.startsWith(realHome) || realHome.startsWith(real)) {
            throw Check.invalid(field, "must not be inside or contain msb's home " + realHome
                    + " (its sandboxes, images, database and kernel): " + path);
        }
        return real;
    }

    private static Mount diskImage(String field, Mount m, Path realHome) {
        Path real = hostPath(field + ".host", m.source(), false, realHome);
        String format = m.format() == null ? "raw" : m.format().toLowerCase(java.util.Locale.ROOT);
        if (!DISK_FORMATS.contains(format)) {
            throw Check.invalid(field + ".format", "must be raw or qcow2: " + m.format());
        }
        if (m.fstype() != null && !FSTYPE.matcher(m.fstype()).matches()) {
            throw Check.invalid(field + ".fstype", "must be 1 to 15 letters, digits or _: " + m.fstype());
        }
        return new Mount(real.toString(), m.guestPath(), m.kind(), m.readOnly(), m.noexec(), m.nosuid(), m.nodev(), 0,
                format, m.fstype() == null ? "ext4" : m.fstype());
    }

    private static Mount volume(String field, Mount m, VolumeService volumes) {
        if (!VOLUME_NAME.matcher(m.source()).matches()) {
            throw Check.invalid(field, "must be a volume name (1 to 63 of letters, digits, ., _ and -, not starting"
                    + " with . or -): " + m.source());
        }
        if (volumes == null) {
            throw Check.invalid(field, "names volume " + m.source() + ", but no volume service is running"
                    + " (install the volumes bundle)");
        }
        if (volumes.get(m.source()).isEmpty()) {
            throw Check.invalid(field, "no volume named " + m.source() + " (create it first)");
        }
        return m;
    }

    /** The real path where it exists: a home reached through a symbolic link is still the home. */
    private static Path realOrAbsolute(Path p) {
        try {
            return p.toRealPath();
        } catch (java.io.IOException e) {
            return p.toAbsolutePath().normalize();
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
        // secrets, tls and strict are the network service's (decision 1316); trust_host_cas is the runtime's (1320)
    }

    private static boolean isAsciiAlphanumeric(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
