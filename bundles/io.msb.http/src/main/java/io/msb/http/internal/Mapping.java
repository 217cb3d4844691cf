package io.msb.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.Rlimit;
import io.msb.api.image.ImageReference;
import io.msb.api.network.NetworkAddresses;
import io.msb.api.network.NetworkConfig;
import io.msb.http.internal.Wire.CreateRequest;
import io.msb.http.internal.Wire.EnvVar;
import io.msb.http.internal.Wire.ExecRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Wire shapes to the platform's types and back. The runtime validates names, labels, env keys, CPUs and memory
 * (against the chosen backend's limits) and the rest when it creates (its InvalidConfigException becomes a 400 as
 * is); this class checks what only the wire has: presence, types, enumerations, and fields the platform cannot
 * honour yet.
 */
final class Mapping {
    /** The one local organisation. */
    static final String ORG_ID = new UUID(0, 0).toString();
    static final int MAX_DISK_MIB = 1 << 24;
    static final int MAX_ARGS = 4096;
    /** The cloud's slug rule (facts §2.3). */
    private static final Pattern SLUG = Pattern.compile("[a-z0-9-]{3,63}");

    private Mapping() {
    }

    static SandboxSpec spec(CreateRequest r) {
        String name = required(r.name(), "name");
        SandboxSpec.Builder b = SandboxSpec.builder(name);
        if (r.fromSnapshot() != null) { // msb's extension (decision 1236): the snapshot gives the image
            if (r.image() != null) {
                throw ApiException.invalid("image", "cannot be combined with from_snapshot");
            }
            b.fromSnapshot(r.fromSnapshot());
        } else {
            b.rootfs(rootfs(r.image()));
        }
        if (r.slug() != null) {
            if (!SLUG.matcher(r.slug()).matches()) {
                throw ApiException.invalid("slug", "must be 3-63 characters of a-z, 0-9 and -");
            }
            if (!r.slug().equals(name)) {
                throw ApiException.invalid("slug", "must equal name (the slug of a local sandbox is its name)");
            }
        }
        registry(r.registry());
        // the SDK always sends these, empty or null: only a value that asks for the missing feature is refused
        b.init(init(r.init()));
        b.mounts(WireMounts.parse(r.mounts()));
        unsupportedList(r.patches(), "patches", "[] (no rootfs patches yet)");
        if (r.securityProfile() != null && !r.securityProfile().equals("default")) {
            throw ApiException.invalid("security_profile", r.securityProfile().equals("restricted")
                    ? "restricted is not supported yet; only \"default\" is" : "must be default or restricted");
        }
        if (r.env() != null) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < r.env().size(); i++) {
                EnvVar e = r.env().get(i);
                String at = "env[" + i + "]";
                if (e == null) {
                    throw ApiException.invalid(at, "must be an object {key, value}");
                }
                String key = required(e.key(), at + ".key");
                if (e.value() == null) {
                    throw ApiException.invalid(at + ".value", "is required");
                }
                envKey(key, at + ".key");
                noNul(e.value(), at + ".value");
                if (!seen.add(key)) {
                    throw ApiException.invalid(at + ".key", "duplicate key " + key);
                }
                b.env(key, e.value());
            }
        }
        if (r.rlimits() != null) {
            for (int i = 0; i < r.rlimits().size(); i++) {
                Wire.Rlimit limit = r.rlimits().get(i);
                String at = "rlimits[" + i + "]";
                if (limit == null || limit.soft() == null || limit.hard() == null) {
                    throw ApiException.invalid(at, "must be an object {resource, soft, hard}");
                }
                b.rlimit(new Rlimit(required(limit.resource(), at + ".resource"), limit.soft(), limit.hard()));
            }
        }
        if (r.labels() != null) {
            r.labels().forEach((k, v) -> {
                if (v == null) {
                    throw ApiException.invalid("labels." + k, "must be a string");
                }
            });
            b.labels(r.labels());
        }
        if (r.lifecycle() != null) {
            b.ephemeral(Boolean.TRUE.equals(r.lifecycle().ephemeral()));
            b.idleTimeout(seconds(r.lifecycle().idleTimeoutSecs(), "lifecycle.idle_timeout_secs"));
            b.maxDuration(seconds(r.lifecycle().maxDurationSecs(), "lifecycle.max_duration_secs"));
        }
        if (r.resources() != null) {
            b.cpus(count(r.resources().vcpus(), "resources.vcpus"));
            b.memoryMib(count(r.resources().memoryMib(), "resources.memory_mib"));
            b.diskSizeMib(range(r.resources().diskSizeMib(), "resources.disk_size_mib", 1, MAX_DISK_MIB));
        }
        if (r.runtime() != null) {
            var rt = r.runtime();
            if (rt.cmd() != null) {
                throw ApiException.invalid("runtime.cmd", "not supported yet (run commands with exec)");
            }
            if (rt.entrypoint() != null) {
                throw ApiException.invalid("runtime.entrypoint", "not supported yet (run commands with exec)");
            }
            unsupported(rt.logLevel(), "runtime.log_level", "null (agentd's log level is fixed)");
            if (rt.scripts() != null && !rt.scripts().isEmpty()) {
                throw ApiException.invalid("runtime.scripts", "not supported yet; only {} is accepted");
            }
            b.user(optionalText(rt.user(), "runtime.user"));
            b.workdir(optionalText(rt.workdir(), "runtime.workdir"));
            b.shell(optionalText(rt.shell(), "runtime.shell"));
        }
        if (r.pullPolicy() != null) {
            b.pullPolicy(pullPolicy(r.pullPolicy()));
        }
        // microsandbox's serde default: a create without network gets one, with the public profile
        b.network(r.network() == null ? NetworkConfig.defaults() : fromModel(() -> NetworkConfig.fromMap(r.network())));
        b.backend(r.backend()); // null: the platform's default; the runtime checks the name and that it runs
        return b.detached(true).build();
    }

    /**
     * Reads a field through the API's map form, whose errors already name the field's path: the same 400 as
     * this class's own checks ({@code network.ports[0].host_port: must be 1..65535, got 0}).
     */
    /** A {@code pull_policy} field's value. */
    static PullPolicy pullPolicy(String text) {
        return switch (text) {
            case "if_missing" -> PullPolicy.IF_MISSING;
            case "always" -> PullPolicy.ALWAYS;
            case "never" -> PullPolicy.NEVER;
            default -> throw ApiException.invalid("pull_policy", "must be one of if_missing, always, never");
        };
    }

    static <T> T fromModel(Supplier<T> read) {
        try {
            return read.get();
        } catch (InvalidConfigException e) {
            throw new ApiException(400, "invalid_request", e.getMessage().replaceFirst("^invalid config: ", ""),
                    e.field() == null ? null : Map.of("field", e.field()));
        }
    }

    /** {@code init: {cmd, args, env: [[key, value], ...]}} or null; the API's record checks the values. */
    private static HandoffInit init(Wire.Init init) {
        if (init == null) {
            return null;
        }
        Map<String, String> env = new LinkedHashMap<>();
        List<List<String>> pairs = init.env() == null ? List.of() : init.env();
        for (int i = 0; i < pairs.size(); i++) {
            only(pairs.get(i) != null && pairs.get(i).size() == 2 && !pairs.get(i).contains(null), "init.env[" + i + "]",
                    "must be a pair [key, value] of strings");
            env.put(pairs.get(i).get(0), pairs.get(i).get(1));
        }
        return fromModel(() -> new HandoffInit(init.cmd(), init.args(), env));
    }

    /**
     * {@code registry}: {@code auto} is what every pull does (the server's configured credentials, then Docker's);
     * the other modes would pull differently and are refused. The password is checked for presence only and never
     * written into a message.
     */
    private static void registry(Wire.Registry registry) {
        if (registry == null) {
            return;
        }
        String mode = required(registry.mode(), "registry.mode");
        switch (mode) {
            case "auto" -> only(registry.username() == null && registry.password() == null
                    && registry.credentialId() == null, "registry", "auto takes only mode");
            case "anonymous" -> throw ApiException.invalid("registry.mode",
                    "anonymous is not supported yet (pulls use the server's credentials: mode auto)");
            case "inline" -> {
                required(registry.username(), "registry.username");
                if (registry.password() == null || registry.password().isEmpty()) {
                    throw ApiException.invalid("registry.password", "is required");
                }
                throw ApiException.invalid("registry.mode", "inline is not supported yet (configure the registry's "
                        + "credentials on the server: PID io.msb.image, credentials)");
            }
            case "specific" -> throw ApiException.invalid("registry.mode",
                    "specific is not supported yet (the server keeps no named credentials)");
            default -> throw ApiException.invalid("registry.mode", "must be auto, anonymous, inline or specific");
        }
    }

    private static RootfsSource rootfs(Wire.ImageSource image) {
        if (image == null) {
            throw ApiException.invalid("image", "is required");
        }
        String type = required(image.type(), "image.type");
        return switch (type) {
            case "oci" -> {
                only(image.path() == null && image.format() == null, "image", "oci takes only type and reference");
                String reference = required(image.reference(), "image.reference");
                yield new RootfsSource.OciImage(ImageReference.parse("image.reference", reference));
            }
            case "bind" -> {
                only(image.reference() == null && image.format() == null, "image", "bind takes only type and path");
                yield new RootfsSource.HostDirectory(absolute(image.path()));
            }
            case "disk_image" -> {
                only(image.reference() == null, "image", "disk_image takes only type, path and format");
                RootfsSource.DiskImage.Format format = switch (image.format() == null ? "raw" : image.format()) {
                    case "raw" -> RootfsSource.DiskImage.Format.RAW;
                    case "qcow2" -> RootfsSource.DiskImage.Format.QCOW2;
                    default -> throw ApiException.invalid("image.format", "must be raw or qcow2");
                };
                yield new RootfsSource.DiskImage(absolute(image.path()), format);
            }
            default -> throw ApiException.invalid("image.type", "must be oci, bind or disk_image");
        };
    }

    private static Path absolute(String path) {
        String p = required(path, "image.path");
        if (!p.startsWith("/")) {
            throw ApiException.invalid("image.path", "must be an absolute host path");
        }
        return Path.of(p);
    }

    static ExecOptions exec(ExecRequest r, int maxTimeoutSecs) {
        if (r.cmd() == null || r.cmd().isEmpty()) {
            throw ApiException.invalid("cmd", "must be a non-empty array of strings");
        }
        if (r.cmd().size() > MAX_ARGS) {
            throw ApiException.invalid("cmd", "must have at most " + MAX_ARGS + " elements");
        }
        for (int i = 0; i < r.cmd().size(); i++) {
            String arg = r.cmd().get(i);
            if (arg == null) {
                throw ApiException.invalid("cmd[" + i + "]", "must be a string");
            }
            noNul(arg, "cmd[" + i + "]");
        }
        if (r.cmd().get(0).isEmpty()) {
            throw ApiException.invalid("cmd[0]", "must not be empty");
        }
        ExecOptions.Builder b = ExecOptions.of(r.cmd());
        if (r.env() != null) {
            r.env().forEach((k, v) -> {
                envKey(k, "env." + k);
                if (v == null) {
                    throw ApiException.invalid("env." + k, "must be a string");
                }
                noNul(v, "env." + k);
                b.env(k, v);
            });
        }
        b.cwd(optionalText(r.workdir(), "workdir"));
        b.user(optionalText(r.user(), "user"));
        if (r.timeoutSecs() != null) {
            b.timeout(Duration.ofSeconds(range(r.timeoutSecs(), "timeout_secs", 1, maxTimeoutSecs)));
        }
        if (r.stdin() != null) {
            try {
                b.stdin(Base64.getDecoder().decode(r.stdin()));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("stdin", "must be base64");
            }
        }
        return b.build();
    }

    /** {@code SandboxResponse}; the info must carry its id (the runtime's always do). */
    static Wire.SandboxResponse response(SandboxInfo info) {
        Objects.requireNonNull(info.id(), () -> "sandbox " + info.name() + " has no id");
        SandboxSpec s = info.spec();
        RunInfo run = info.currentRun().orElse(null);
        List<EnvVar> env = new ArrayList<>();
        new TreeMap<>(s.env()).forEach((k, v) -> env.add(new EnvVar(k, v)));
        Wire.SpecResponse spec = new Wire.SpecResponse(
                s.rootfs() instanceof RootfsSource.OciImage oci ? oci.reference().text() : null,
                new Wire.Resources((long) s.cpus(), (long) s.memoryMib(), s.diskSizeMib() == 0 ? null : (long) s.diskSizeMib()),
                new Wire.RuntimeResponse(s.workdir(), s.shell(), Map.of(), null, null, s.user(), null, s.hostname()),
                env, new TreeMap<>(s.labels()),
                s.rlimits().stream().map(l -> new Wire.Rlimit(l.resource(), l.soft(), l.hard())).toList(),
                new Wire.Lifecycle(s.ephemeral(), secs(s.idleTimeout()), secs(s.maxDuration())),
                s.mounts().stream().map(WireMounts::response).toList(),
                network(s.network(), info.addresses().orElse(null)));
        return new Wire.SandboxResponse(info.id().toString(), ORG_ID, info.name(), info.name(), status(info.status()),
                null, s.ephemeral(), time(info.createdAt()), run == null ? null : time(run.startedAt()),
                run == null ? null : time(run.terminatedAt()), failure(info.status(), run), spec, s.backend(),
                info.backendAvailable());
    }

    /**
     * {@code SandboxSpecResponse.network}: the stored configuration in microsandbox's JSON form with the policy in
     * force (the public profile when none was given) and, while it runs, msb's {@code addresses} extension.
     */
    static Map<String, Object> network(NetworkConfig config, NetworkAddresses addresses) {
        NetworkConfig n = config == null ? NetworkConfig.disabled() : config;
        Map<String, Object> out = new LinkedHashMap<>(n.toMap());
        if (n.enabled()) {
            out.put("policy", n.effectivePolicy().toMap());
        }
        // the entries in microsandbox's local form, never a value: a stored spec holds store references only
        out.put("secrets", n.secrets().entries().stream().map(io.msb.api.network.SecretEntry::toMap).toList());
        if (addresses != null) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("ipv4", addresses.ipv4());
            a.put("gateway", addresses.gateway());
            a.put("mac", addresses.mac());
            a.put("mtu", addresses.mtu());
            a.put("nameservers", addresses.nameservers());
            if (addresses.ipv6() != null) {
                a.put("ipv6", addresses.ipv6());
                a.put("gateway6", addresses.gateway6());
            }
            out.put("addresses", a);
        }
        return out;
    }

    /** Cloud statuses: our CRASHED is failed, DRAINING is stopping; PAUSED is msb's own {@code paused} (decision 1224). */
    static String status(SandboxStatus status) {
        return switch (status) {
            case CREATED -> "created";
            case STARTING -> "starting";
            case RUNNING -> "running";
            case PAUSED -> "paused";
            case DRAINING -> "stopping";
            case STOPPED -> "stopped";
            case CRASHED -> "failed";
        };
    }

    private static String failure(SandboxStatus status, RunInfo run) {
        if (status == SandboxStatus.STOPPED && run != null
                && run.reason() == io.msb.api.TerminationReason.SECRET_VIOLATION) {
            // stopped by the network (block-and-terminate): the sandbox's log names the secret and the host
            return "stopped by the network: a secret's placeholder was bound for a host it does not allow"
                    + " (secret_violation)";
        }
        if (status != SandboxStatus.CRASHED) {
            return null;
        }
        return run == null || run.reason() == null ? "the VM ended unexpectedly"
                : "the VM ended unexpectedly (" + run.reason().name().toLowerCase(Locale.ROOT) + ")";
    }

    /** The {@code labels} query parameter: a JSON object of strings. */
    static Map<String, String> labelsQuery(String text) {
        if (text == null || text.isEmpty()) {
            return Map.of();
        }
        JsonNode node = Json.parse(text.getBytes(StandardCharsets.UTF_8), JsonNode.class);
        if (!node.isObject()) {
            throw ApiException.invalid("labels", "must be a JSON object of strings");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (var it = node.fields(); it.hasNext();) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw ApiException.invalid("labels." + e.getKey(), "must be a string");
            }
            labels.put(e.getKey(), e.getValue().asText());
        }
        return labels;
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }

    private static Long secs(Duration d) {
        return d == null ? null : d.toSeconds();
    }

    private static Duration seconds(Long value, String field) {
        if (value == null) {
            return null;
        }
        if (value < 1) {
            throw ApiException.invalid(field, "must be at least 1 second (omit it for no limit)");
        }
        return Duration.ofSeconds(value);
    }

    /**
     * A size the spec holds as an int, 0 meaning "the default", so an explicit 0 is refused; the backend's limits are
     * the runtime's to check (the error then names the backend's range).
     */
    private static int count(Long value, String field) {
        if (value != null && (value < 1 || value > Integer.MAX_VALUE)) {
            throw ApiException.invalid(field, "must be a whole number from 1 to " + Integer.MAX_VALUE
                    + " (omit it for the default)");
        }
        return value == null ? 0 : value.intValue();
    }

    private static int range(Long value, String field, int min, int max) {
        if (value == null) {
            return 0;
        }
        if (value < min || value > max) {
            throw ApiException.invalid(field, "must be " + min + ".." + max);
        }
        return value.intValue();
    }

    private static String required(String value, String field) {
        if (value == null || value.isEmpty()) {
            throw ApiException.invalid(field, "is required");
        }
        noNul(value, field);
        return value;
    }

    private static String optionalText(String value, String field) {
        if (value == null) {
            return null;
        }
        return required(value, field);
    }

    private static void envKey(String key, String field) {
        if (key.isEmpty() || key.indexOf('=') >= 0) {
            throw ApiException.invalid(field, "must be a non-empty name without '='");
        }
        noNul(key, field);
    }

    private static void noNul(String value, String field) {
        if (value.indexOf('\0') >= 0) {
            throw ApiException.invalid(field, "must not contain NUL");
        }
    }

    private static void only(boolean ok, String field, String rule) {
        if (!ok) {
            throw ApiException.invalid(field, rule);
        }
    }

    /** A field whose feature does not exist yet: accepted only absent or as its default. */
    private static void unsupported(JsonNode node, String field, String only) {
        if (node != null && !node.isNull()) {
            throw ApiException.invalid(field, "not supported yet; only " + only + " is accepted");
        }
    }

    private static void unsupportedList(List<JsonNode> list, String field, String only) {
        if (list != null && !list.isEmpty()) {
            throw ApiException.invalid(field, "not supported yet; only " + only + " is accepted");
        }
    }
}
