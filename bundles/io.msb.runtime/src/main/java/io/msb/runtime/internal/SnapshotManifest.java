package io.msb.runtime.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotCorruptException;
import io.msb.api.snapshot.SnapshotInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A disk snapshot's {@code snapshot.json} in microsandbox's manifest schema 1 (decision 1232): {@code schema},
 * {@code artifact}, {@code scope "disk"}, {@code created_at}, {@code parent}, {@code image {ref, manifest_digest}},
 * {@code source_sandbox}, {@code state} (a raw ext4 file with its sha256), {@code labels}, {@code extensions},
 * {@code requires}. msb keeps the source's spec under {@code extensions["io.msb.spec"]}, where a microsandbox reader
 * ignores it. The artifact's digest is the sha256 of the manifest's bytes as written. A resumable snapshot has
 * {@code scope "resumable"} and its VM state under {@code extensions["io.msb.memory"]} (decision 1247).
 */
record SnapshotManifest(String imageRef, String imageManifestDigest, String sourceSandbox, SandboxSpec spec,
        long sizeBytes, String upperDigest, Map<String, String> labels, Instant createdAt, Memory memory) {
    static final String FILE = "snapshot.json";
    static final String UPPER = "upper.ext4";
    static final String SPEC_EXTENSION = "io.msb.spec";
    /** A resumable snapshot's VM state (decision 1247); listed in {@code requires}, so readers without it refuse. */
    static final String MEMORY_EXTENSION = "io.msb.memory";
    static final String MEMORY = "memory.bin";
    static final String ROOT = "root.erofs";
    static final String READY = "agent.ready";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * What a resumable snapshot adds: the VM's saved state and the exact root disk the guest had open.
     *
     * @param sizeBytes bytes of {@link #MEMORY}
     * @param digest {@code sha256:} of them
     * @param rootSizeBytes bytes of {@link #ROOT}, a hard link to (or copy of) the image's root disk
     * @param backend the VMM backend that saved the state and alone can restore it
     */
    record Memory(long sizeBytes, String digest, long rootSizeBytes, String backend) {
    }

    SnapshotManifest {
        labels = Map.copyOf(labels);
    }

    /** A disk snapshot's manifest. */
    SnapshotManifest(String imageRef, String imageManifestDigest, String sourceSandbox, SandboxSpec spec,
            long sizeBytes, String upperDigest, Map<String, String> labels, Instant createdAt) {
        this(imageRef, imageManifestDigest, sourceSandbox, spec, sizeBytes, upperDigest, labels, createdAt, null);
    }

    byte[] toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema", 1);
        o.put("artifact", "snapshot");
        o.put("scope", memory == null ? "disk" : "resumable");
        o.put("created_at", createdAt.toString());
        o.putNull("parent");
        ObjectNode image = o.putObject("image");
        image.put("ref", imageRef);
        image.put("manifest_digest", imageManifestDigest);
        o.put("source_sandbox", sourceSandbox);
        ObjectNode state = o.putObject("state");
        state.put("kind", "file").put("format", "raw").put("fstype", "ext4");
        ObjectNode upper = state.putObject("upper");
        upper.put("file", UPPER).put("size_bytes", sizeBytes);
        upper.putObject("integrity").put("algorithm", "sha256").put("digest", upperDigest);
        ObjectNode l = o.putObject("labels");
        new java.util.TreeMap<>(labels).forEach(l::put);
        ObjectNode extensions = o.putObject("extensions");
        if (spec != null) {
            try {
                extensions.set(SPEC_EXTENSION, MAPPER.readTree(SpecJson.write(spec)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a spec did not serialize to JSON", e);
            }
        }
        if (memory != null) {
            ObjectNode m = extensions.putObject(MEMORY_EXTENSION);
            m.put("file", MEMORY).put("size_bytes", memory.sizeBytes()).put("backend", memory.backend());
            m.putObject("integrity").put("algorithm", "sha256").put("digest", memory.digest());
            m.putObject("root").put("file", ROOT).put("size_bytes", memory.rootSizeBytes());
        }
        com.fasterxml.jackson.databind.node.ArrayNode requires = o.putArray("requires");
        if (memory != null) {
            requires.add(MEMORY_EXTENSION);
        }
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads a manifest.
     *
     * @throws SnapshotCorruptException naming the field that is missing or not what schema 1 allows
     */
    static SnapshotManifest parse(byte[] json, String where) {
        JsonNode o;
        try {
            o = MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new SnapshotCorruptException(where + ": " + FILE + " is not JSON: " + e.getMessage());
        }
        if (o == null || !o.isObject()) {
            throw new SnapshotCorruptException(where + ": " + FILE + " is not a JSON object");
        }
        expect(o, "schema", "1", where);
        expect(o, "artifact", "snapshot", where);
        String scope = o.path("scope").asText("");
        if (!scope.equals("disk") && !scope.equals("resumable")) {
            throw new SnapshotCorruptException(where + ": " + FILE + " field scope must be disk or resumable, got "
                    + o.path("scope"));
        }
        JsonNode state = o.path("state");
        expect(state, "kind", "file", where);
        expect(state, "format", "raw", where);
        JsonNode upper = state.path("upper");
        expect(upper, "file", UPPER, where);
        JsonNode integrity = upper.path("integrity");
        expect(integrity, "algorithm", "sha256", where);
        String digest = required(integrity, "digest", "state.upper.integrity.digest", where);
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new SnapshotCorruptException(where + ": state.upper.integrity.digest must be sha256:<64 hex>, got "
                    + digest);
        }
        if (!upper.path("size_bytes").canConvertToLong() || upper.path("size_bytes").asLong() < 0) {
            throw new SnapshotCorruptException(where + ": state.upper.size_bytes must be a non-negative integer");
        }
        Instant created;
        try {
            created = Instant.parse(required(o, "created_at", "created_at", where));
        } catch (java.time.format.DateTimeParseException e) {
            throw new SnapshotCorruptException(where + ": created_at is not an RFC 3339 time: " + e.getMessage());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        o.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        JsonNode spec = o.path("extensions").path(SPEC_EXTENSION);
        for (JsonNode required : o.path("requires")) {
            if (!required.asText().equals(MEMORY_EXTENSION)) {
                throw new SnapshotCorruptException(where + ": " + FILE + " requires " + required
                        + ", which this msb does not know");
            }
        }
        Memory memory = scope.equals("resumable") ? memory(o.path("extensions").path(MEMORY_EXTENSION), where) : null;
        return new SnapshotManifest(required(o.path("image"), "ref", "image.ref", where),
                o.path("image").path("manifest_digest").textValue(), o.path("source_sandbox").textValue(),
                spec.isObject() ? SpecJson.read(spec.toString()) : null, upper.path("size_bytes").asLong(), digest,
                labels, created, memory);
    }

    private static Memory memory(JsonNode m, String where) {
        String prefix = "extensions." + MEMORY_EXTENSION;
        if (!m.isObject()) {
            throw new SnapshotCorruptException(where + ": a resumable " + FILE + " has no " + prefix);
        }
        expect(m, "file", MEMORY, where);
        expect(m.path("root"), "file", ROOT, where);
        expect(m.path("integrity"), "algorithm", "sha256", where);
        String digest = required(m.path("integrity"), "digest", prefix + ".integrity.digest", where);
        if (!digest.matches("sha256:[0-9a-f]{64}")) {
            throw new SnapshotCorruptException(where + ": " + prefix + ".integrity.digest must be sha256:<64 hex>");
        }
        for (JsonNode size : new JsonNode[] {m.path("size_bytes"), m.path("root").path("size_bytes")}) {
            if (!size.canConvertToLong() || size.asLong() < 0) {
                throw new SnapshotCorruptException(where + ": " + prefix + " sizes must be non-negative integers");
            }
        }
        return new Memory(m.path("size_bytes").asLong(), digest, m.path("root").path("size_bytes").asLong(),
                required(m, "backend", prefix + ".backend", where));
    }

    SnapshotInfo info(String name, String manifestDigest, Path dir) {
        return new SnapshotInfo(name, manifestDigest, sourceSandbox, imageRef, imageManifestDigest, spec, sizeBytes,
                upperDigest, labels, createdAt, dir, memory != null);
    }

    static String sha256(byte[] bytes) {
        return "sha256:" + HexFormat.of().formatHex(digest().digest(bytes));
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void expect(JsonNode o, String field, String value, String where) {
        if (!value.equals(o.path(field).asText(null))) {
            throw new SnapshotCorruptException(where + ": " + FILE + " field " + field + " must be " + value
                    + ", got " + o.path(field));
        }
    }

    private static String required(JsonNode o, String field, String path, String where) {
        String v = o.path(field).textValue();
        if (v == null || v.isEmpty()) {
            throw new SnapshotCorruptException(where + ": " + FILE + " has no " + path);
        }
        return v;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
