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
 * ignores it. The artifact's digest is the sha256 of the manifest's bytes as written.
 */
record SnapshotManifest(String imageRef, String imageManifestDigest, String sourceSandbox, SandboxSpec spec,
        long sizeBytes, String upperDigest, Map<String, String> labels, Instant createdAt) {
    static final String FILE = "snapshot.json";
    static final String UPPER = "upper.ext4";
    static final String SPEC_EXTENSION = "io.msb.spec";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    SnapshotManifest {
        labels = Map.copyOf(labels);
    }

    byte[] toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schema", 1);
        o.put("artifact", "snapshot");
        o.put("scope", "disk");
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
        o.putArray("requires");
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
        expect(o, "scope", "disk", where);
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
        return new SnapshotManifest(required(o.path("image"), "ref", "image.ref", where),
                o.path("image").path("manifest_digest").textValue(), o.path("source_sandbox").textValue(),
                spec.isObject() ? SpecJson.read(spec.toString()) : null, upper.path("size_bytes").asLong(), digest,
                labels, created);
    }

    SnapshotInfo info(String name, String manifestDigest, Path dir) {
        return new SnapshotInfo(name, manifestDigest, sourceSandbox, imageRef, imageManifestDigest, spec, sizeBytes,
                upperDigest, labels, createdAt, dir);
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
