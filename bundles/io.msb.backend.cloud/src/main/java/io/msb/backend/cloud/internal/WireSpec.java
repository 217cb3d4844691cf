package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.HandoffInit;
import io.msb.api.InvalidConfigException;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.exec.Rlimit;
import io.msb.api.image.ImageReference;
import io.msb.api.network.NetworkConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A spec as the remote's create body (the cloud API v1 {@code CloudSandboxSpec} the SDKs send, as the remote's
 * {@code Mapping} reads it) and back, and the remote's {@code SandboxResponse} as a {@link SandboxInfo}. What the
 * body cannot carry, or what means this host (host paths), is refused naming the field; nothing is dropped silently.
 */
final class WireSpec {

    private WireSpec() {
    }

    /**
     * The create body. {@code withSecretValues}: the network's secret values, for the request only; the copy kept
     * in the journal never has them (the remote keeps them in its own secret store).
     */
    static ObjectNode body(SandboxSpec s, String backend, boolean withSecretValues) {
        ObjectNode b = RemoteMsb.JSON.createObjectNode();
        b.put("name", s.name());
        if (s.fromSnapshot() != null) {
            b.put("from_snapshot", s.fromSnapshot());
        }
        if (s.rootfs() != null) {
            if (!(s.rootfs() instanceof RootfsSource.OciImage oci)) {
                throw refuse(backend, "rootfs", "only an OCI image: a host path of this server means nothing on"
                        + " the remote");
            }
            b.putObject("image").put("type", "oci").put("reference", oci.reference().text());
        }
        if (!s.mounts().isEmpty()) {
            throw refuse(backend, "mounts", "not supported: mounts name host paths and volumes of this server");
        }
        if (s.hostname() != null) {
            throw refuse(backend, "hostname", "not supported: the cloud API's create has no hostname");
        }
        ArrayNode env = b.putArray("env");
        new TreeMap<>(s.env()).forEach((k, v) -> env.addObject().put("key", k).put("value", v));
        ObjectNode labels = b.putObject("labels");
        new TreeMap<>(s.labels()).forEach(labels::put);
        ObjectNode lifecycle = b.putObject("lifecycle").put("ephemeral", s.ephemeral());
        putSeconds(lifecycle, "idle_timeout_secs", s.idleTimeout());
        putSeconds(lifecycle, "max_duration_secs", s.maxDuration());
        ObjectNode resources = b.putObject("resources");
        putPositive(resources, "vcpus", s.cpus());
        putPositive(resources, "memory_mib", s.memoryMib());
        putPositive(resources, "disk_size_mib", s.diskSizeMib());
        ObjectNode runtime = b.putObject("runtime");
        putText(runtime, "user", s.user());
        putText(runtime, "workdir", s.workdir());
        putText(runtime, "shell", s.shell());
        ArrayNode rlimits = b.putArray("rlimits");
        s.rlimits().forEach(l -> rlimits.addObject().put("resource", l.resource()).put("soft", l.soft())
                .put("hard", l.hard()));
        b.put("pull_policy", s.pullPolicy().name().toLowerCase(Locale.ROOT));
        if (s.init() != null) {
            ObjectNode init = b.putObject("init").put("cmd", s.init().cmd());
            s.init().args().forEach(init.putArray("args")::add);
            ArrayNode pairs = init.putArray("env");
            s.init().env().forEach((k, v) -> pairs.addArray().add(k).add(v));
        }
        NetworkConfig network = s.network() == null ? NetworkConfig.disabled() : s.network();
        Map<String, Object> map = new LinkedHashMap<>(network.toMap(withSecretValues));
        if (!withSecretValues) {
            map.remove("secrets");
        }
        b.set("network", RemoteMsb.JSON.valueToTree(map));
        return b;
    }

    /** The spec a journaled create body stands for, naming {@code backend}; the reverse of {@link #body}. */
    static SandboxSpec spec(JsonNode b, String backend) {
        SandboxSpec.Builder s = SandboxSpec.builder(required(b, "name"));
        if (b.hasNonNull("from_snapshot")) {
            s.fromSnapshot(b.get("from_snapshot").asText());
        }
        if (b.path("image").hasNonNull("reference")) {
            s.rootfs(new RootfsSource.OciImage(ImageReference.parse("image.reference",
                    b.path("image").path("reference").asText())));
        }
        b.path("env").forEach(e -> s.env(required(e, "key"), required(e, "value")));
        b.path("labels").fields().forEachRemaining(e -> s.label(e.getKey(), e.getValue().asText()));
        JsonNode lifecycle = b.path("lifecycle");
        s.ephemeral(lifecycle.path("ephemeral").asBoolean(false));
        s.idleTimeout(seconds(lifecycle.path("idle_timeout_secs")));
        s.maxDuration(seconds(lifecycle.path("max_duration_secs")));
        JsonNode resources = b.path("resources");
        s.cpus(resources.path("vcpus").asInt(0)).memoryMib(resources.path("memory_mib").asInt(0))
                .diskSizeMib(resources.path("disk_size_mib").asInt(0));
        JsonNode runtime = b.path("runtime");
        s.user(optional(runtime, "user")).workdir(optional(runtime, "workdir")).shell(optional(runtime, "shell"));
        b.path("rlimits").forEach(l -> s.rlimit(new Rlimit(required(l, "resource"), l.path("soft").asLong(),
                l.path("hard").asLong())));
        s.pullPolicy(PullPolicy.valueOf(b.path("pull_policy").asText("if_missing").toUpperCase(Locale.ROOT)));
        if (b.path("init").isObject()) {
            JsonNode init = b.get("init");
            List<String> args = new ArrayList<>();
            init.path("args").forEach(a -> args.add(a.asText()));
            Map<String, String> env = new LinkedHashMap<>();
            init.path("env").forEach(p -> env.put(p.path(0).asText(), p.path(1).asText()));
            s.init(new HandoffInit(required(init, "cmd"), args, env));
        }
        if (b.path("network").isObject()) {
            s.network(NetworkConfig.fromMap(RemoteMsb.JSON.convertValue(b.get("network"),
                    new TypeReference<Map<String, Object>>() { })));
        }
        return s.detached(true).backend(backend).build();
    }

    /**
     * The remote's {@code SandboxResponse} for the sandbox {@code name}, checked field by field (it comes from
     * another machine): the id, status and times it reports, the resources it resolved, over the spec it was
     * created from.
     */
    static SandboxInfo info(JsonNode r, String name, SandboxSpec spec) {
        String answered = r.path("name").asText(null);
        if (!name.equals(answered)) {
            throw invalidAnswer("name", "is " + RemoteErrors.text(r.path("name")) + ", expected " + name);
        }
        UUID id;
        try {
            id = UUID.fromString(r.path("id").asText(""));
        } catch (IllegalArgumentException e) {
            throw invalidAnswer("id", "is not a UUID");
        }
        SandboxStatus status = status(r.path("status").asText(""));
        Instant created = instant(r, "created_at", true);
        Instant started = instant(r, "started_at", false);
        Instant stopped = instant(r, "stopped_at", false);
        JsonNode resources = r.path("spec").path("resources");
        SandboxSpec resolved = spec.toBuilder()
                .cpus(positive(resources.path("vcpus"), "spec.resources.vcpus", spec.cpus()))
                .memoryMib(positive(resources.path("memory_mib"), "spec.resources.memory_mib", spec.memoryMib()))
                .build();
        Optional<RunInfo> run = started == null ? Optional.empty() : Optional.of(new RunInfo(0, 0, started,
                stopped, stopped == null ? null : status == SandboxStatus.CRASHED ? TerminationReason.FAILED
                        : TerminationReason.COMPLETED, null, null));
        Instant updated = stopped != null ? stopped : started != null ? started : created;
        return new SandboxInfo(id, name, status, resolved, created, updated, run, Optional.empty(), true);
    }

    /** The wire's status (the remote's {@code Mapping.status}); an unknown one is refused. */
    static SandboxStatus status(String text) {
        return switch (text) {
            case "created" -> SandboxStatus.CREATED;
            case "starting" -> SandboxStatus.STARTING;
            case "running" -> SandboxStatus.RUNNING;
            case "paused" -> SandboxStatus.PAUSED;
            case "stopping" -> SandboxStatus.DRAINING;
            case "stopped" -> SandboxStatus.STOPPED;
            case "failed" -> SandboxStatus.CRASHED;
            default -> throw invalidAnswer("status", "is not one of created, starting, running, paused, stopping,"
                    + " stopped, failed");
        };
    }

    private static Instant instant(JsonNode r, String field, boolean required) {
        JsonNode node = r.path(field);
        if (node.isNull() || node.isMissingNode()) {
            if (required) {
                throw invalidAnswer(field, "is missing");
            }
            return null;
        }
        try {
            return Instant.parse(node.asText());
        } catch (DateTimeParseException e) {
            throw invalidAnswer(field, "is not an ISO-8601 instant");
        }
    }

    private static int positive(JsonNode node, String field, int otherwise) {
        if (node.isNull() || node.isMissingNode()) {
            return otherwise;
        }
        if (!node.canConvertToInt() || node.asInt() < 1) {
            throw invalidAnswer(field, "is not a positive whole number");
        }
        return node.asInt();
    }

    private static io.msb.api.MsbException invalidAnswer(String field, String rule) {
        return new io.msb.api.MsbException("the remote's sandbox answer is invalid: " + field + " " + rule);
    }

    private static InvalidConfigException refuse(String backend, String field, String rule) {
        return new InvalidConfigException(field, field + ": " + rule + " (backend " + backend + ")");
    }

    private static void putSeconds(ObjectNode node, String field, Duration value) {
        if (value != null) {
            node.put(field, Math.max(1, value.toSeconds()));
        }
    }

    private static void putPositive(ObjectNode node, String field, int value) {
        if (value > 0) {
            node.put(field, value);
        }
    }

    private static void putText(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static Duration seconds(JsonNode node) {
        return node.canConvertToLong() ? Duration.ofSeconds(node.asLong()) : null;
    }

    private static String optional(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static String required(JsonNode node, String field) {
        if (!node.hasNonNull(field)) {
            throw new IllegalArgumentException("journal entry: " + field + " is missing");
        }
        return node.get(field).asText();
    }
}
