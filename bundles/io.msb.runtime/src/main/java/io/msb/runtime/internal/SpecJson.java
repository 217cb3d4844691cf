package io.msb.runtime.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.HandoffInit;
import io.msb.api.Mount;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.Rlimit;
import io.msb.api.network.NetworkConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stored form of a {@link SandboxSpec}: explicit JSON rather than reflective mapping, so that the
 * persisted format is a visible contract that only changes on purpose ({@code "v"} is its version).
 * Version 2 stores {@code network} in microsandbox's JSON form ({@link NetworkConfig#toMap()}); a version 1
 * record's {@code network} was a placeholder that never attached a network, so it reads as disabled. {@code init}
 * ({@code {cmd, args, env}}) is absent for a sandbox without an init handoff, as in records written before it. A mount's
 * options, {@code sizeMib}, {@code format} and {@code fstype} (decision 1200) read as false, 0 and null where a record
 * written before them has none.
 */
public final class SpecJson {
    private static final int VERSION = 2;
    private static final int VERSION_WITHOUT_NETWORK = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {
    };

    private SpecJson() {
    }

    public static String write(SandboxSpec spec) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("v", VERSION);
        o.put("name", spec.name());
        o.set("rootfs", rootfs(spec.rootfs()));
        o.put("cpus", spec.cpus());
        o.put("memoryMib", spec.memoryMib());
        o.put("diskSizeMib", spec.diskSizeMib());
        o.set("env", MAPPER.valueToTree(spec.env()));
        o.set("labels", MAPPER.valueToTree(spec.labels()));
        putIfSet(o, "workdir", spec.workdir());
        putIfSet(o, "user", spec.user());
        putIfSet(o, "hostname", spec.hostname());
        putIfSet(o, "shell", spec.shell());
        ArrayNode mounts = o.putArray("mounts");
        for (Mount m : spec.mounts()) {
            ObjectNode mount = mounts.addObject();
            putIfSet(mount, "source", m.source());
            mount.put("guestPath", m.guestPath()).put("kind", m.kind().name()).put("readOnly", m.readOnly())
                    .put("noexec", m.noexec()).put("nosuid", m.nosuid()).put("nodev", m.nodev());
            if (m.sizeMib() != 0) {
                mount.put("sizeMib", m.sizeMib());
            }
            putIfSet(mount, "format", m.format());
            putIfSet(mount, "fstype", m.fstype());
        }
        if (spec.network() != null) {
            o.set("network", MAPPER.valueToTree(spec.network().toMap()));
        }
        if (spec.idleTimeout() != null) {
            o.put("idleTimeoutMs", spec.idleTimeout().toMillis());
        }
        if (spec.maxDuration() != null) {
            o.put("maxDurationMs", spec.maxDuration().toMillis());
        }
        if (spec.init() != null) {
            ObjectNode init = o.putObject("init").put("cmd", spec.init().cmd());
            init.set("args", MAPPER.valueToTree(spec.init().args()));
            init.set("env", MAPPER.valueToTree(spec.init().env()));
        }
        o.put("pullPolicy", spec.pullPolicy().name());
        o.put("detached", spec.detached());
        o.put("ephemeral", spec.ephemeral());
        if (spec.backend() != null) {
            o.put("backend", spec.backend());
        }
        if (!spec.rlimits().isEmpty()) {
            ArrayNode rlimits = o.putArray("rlimits");
            spec.rlimits().forEach(r -> rlimits.addObject().put("resource", r.resource()).put("soft", r.soft())
                    .put("hard", r.hard()));
        }
        return o.toString();
    }

    public static SandboxSpec read(String json) {
        JsonNode o;
        try {
            o = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored sandbox config is not JSON", e);
        }
        int version = o.path("v").asInt();
        if (version != VERSION && version != VERSION_WITHOUT_NETWORK) {
            throw new IllegalStateException("stored sandbox config has unknown version " + version);
        }
        SandboxSpec.Builder b = SandboxSpec.builder(o.path("name").asText())
                .rootfs(rootfs(o.path("rootfs")))
                .cpus(o.path("cpus").asInt())
                .memoryMib(o.path("memoryMib").asInt())
                .diskSizeMib(o.path("diskSizeMib").asInt())
                .env(stringMap(o.path("env")))
                .labels(stringMap(o.path("labels")))
                .workdir(text(o, "workdir"))
                .user(text(o, "user"))
                .hostname(text(o, "hostname"))
                .shell(text(o, "shell"))
                .pullPolicy(PullPolicy.valueOf(o.path("pullPolicy").asText(PullPolicy.IF_MISSING.name())))
                .detached(o.path("detached").asBoolean())
                .ephemeral(o.path("ephemeral").asBoolean())
                .backend(text(o, "backend"));
        for (JsonNode r : o.path("rlimits")) {
            b.rlimit(new Rlimit(r.path("resource").asText(), r.path("soft").asLong(), r.path("hard").asLong()));
        }
        for (JsonNode m : o.path("mounts")) {
            b.mount(new Mount(text(m, "source"), m.path("guestPath").asText(), Mount.Kind.valueOf(m.path("kind").asText()),
                    m.path("readOnly").asBoolean(), m.path("noexec").asBoolean(), m.path("nosuid").asBoolean(),
                    m.path("nodev").asBoolean(), m.path("sizeMib").asInt(), text(m, "format"), text(m, "fstype")));
        }
        if (o.has("network")) {
            b.network(version == VERSION_WITHOUT_NETWORK ? NetworkConfig.disabled() : network(o.get("network")));
        }
        if (o.has("init")) {
            JsonNode init = o.get("init");
            b.init(new HandoffInit(init.path("cmd").asText(), MAPPER.convertValue(init.path("args"), STRINGS),
                    stringMap(init.path("env"))));
        }
        if (o.has("idleTimeoutMs")) {
            b.idleTimeout(Duration.ofMillis(o.get("idleTimeoutMs").asLong()));
        }
        if (o.has("maxDurationMs")) {
            b.maxDuration(Duration.ofMillis(o.get("maxDurationMs").asLong()));
        }
        return b.build();
    }

    private static ObjectNode rootfs(RootfsSource source) {
        ObjectNode r = MAPPER.createObjectNode();
        if (source instanceof RootfsSource.OciImage image) {
            r.put("kind", "oci").put("reference", image.reference().text()); // as written: rows stay what they were
        } else if (source instanceof RootfsSource.HostDirectory dir) {
            r.put("kind", "dir").put("path", dir.path().toString());
        } else if (source instanceof RootfsSource.DiskImage disk) {
            r.put("kind", "disk").put("path", disk.path().toString()).put("format", disk.format().name());
        }
        return r;
    }

    private static RootfsSource rootfs(JsonNode r) {
        return switch (r.path("kind").asText()) {
            case "oci" -> RootfsSource.image(r.path("reference").asText());
            case "dir" -> new RootfsSource.HostDirectory(Path.of(r.path("path").asText()));
            case "disk" -> new RootfsSource.DiskImage(Path.of(r.path("path").asText()),
                    RootfsSource.DiskImage.Format.valueOf(r.path("format").asText()));
            default -> throw new IllegalStateException("stored rootfs has unknown kind: " + r.path("kind"));
        };
    }

    @SuppressWarnings("unchecked")
    private static NetworkConfig network(JsonNode n) {
        return NetworkConfig.fromMap(MAPPER.convertValue(n, Map.class));
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static void putIfSet(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }
}
