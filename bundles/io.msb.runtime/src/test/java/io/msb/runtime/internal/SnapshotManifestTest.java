package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotCorruptException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotManifestTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private static SnapshotManifest manifest() {
        return new SnapshotManifest("alpine:3.20", "sha256:" + "cd".repeat(32), "dev",
                SandboxSpec.builder("dev").image("alpine:3.20").cpus(2).memoryMib(512).env("A", "1").build(),
                104857600L, DIGEST, Map.of("team", "ml"), Instant.parse("2026-12-06T16:00:00.123Z"));
    }

    /** The fields and values of microsandbox's schema 1 for a disk snapshot held as a raw ext4 file. */
    @Test
    void writesMicrosandboxSchemaOne() throws Exception {
        JsonNode o = MAPPER.readTree(manifest().toJson());
        assertEquals(List.of("schema", "artifact", "scope", "created_at", "parent", "image", "source_sandbox", "state",
                "labels", "extensions", "requires"), fieldNames(o));
        assertEquals(1, o.get("schema").intValue());
        assertEquals("snapshot", o.get("artifact").textValue());
        assertEquals("disk", o.get("scope").textValue());
        assertEquals("2026-12-06T16:00:00.123Z", o.get("created_at").textValue());
        assertTrue(o.get("parent").isNull());
        assertEquals("alpine:3.20", o.at("/image/ref").textValue());
        assertEquals("sha256:" + "cd".repeat(32), o.at("/image/manifest_digest").textValue());
        assertEquals("dev", o.get("source_sandbox").textValue());
        assertEquals(List.of("kind", "format", "fstype", "upper"), fieldNames(o.get("state")));
        assertEquals("file", o.at("/state/kind").textValue());
        assertEquals("raw", o.at("/state/format").textValue());
        assertEquals("ext4", o.at("/state/fstype").textValue());
        assertEquals(List.of("file", "size_bytes", "integrity"), fieldNames(o.at("/state/upper")));
        assertEquals("upper.ext4", o.at("/state/upper/file").textValue());
        assertEquals(104857600L, o.at("/state/upper/size_bytes").longValue());
        assertEquals("sha256", o.at("/state/upper/integrity/algorithm").textValue());
        assertEquals(DIGEST, o.at("/state/upper/integrity/digest").textValue());
        assertEquals("ml", o.at("/labels/team").textValue());
        assertEquals(2, o.at("/extensions/io.msb.spec/cpus").intValue(), "msb's spec rides in extensions");
        assertTrue(o.get("requires").isArray() && o.get("requires").isEmpty());
    }

    @Test
    void readsBackWhatItWrote() {
        SnapshotManifest m = manifest();
        assertEquals(m, SnapshotManifest.parse(m.toJson(), "t"));
    }

    /** microsandbox's own manifest (no msb extension) reads, with no spec. */
    @Test
    void readsAForeignManifestWithoutSpec() throws Exception {
        ObjectNode o = (ObjectNode) MAPPER.readTree(manifest().toJson());
        o.putObject("extensions");
        SnapshotManifest m = SnapshotManifest.parse(MAPPER.writeValueAsBytes(o), "t");
        assertEquals(null, m.spec());
        assertEquals("dev", m.sourceSandbox());
    }

    @Test
    void refusesWhatSchemaOneDoesNotAllowNamingTheField() throws Exception {
        assertEquals("t: snapshot.json field scope must be disk or resumable, got \"memory\"", corrupt("/scope", "memory"));
        assertEquals("t: a resumable snapshot.json has no extensions.io.msb.memory", corrupt("/scope", "resumable"));
        assertEquals("t: snapshot.json field algorithm must be sha256, got \"msb-sparse-sha256-v1\"",
                corrupt("/state/upper/integrity/algorithm", "msb-sparse-sha256-v1"));
        assertEquals("t: state.upper.integrity.digest must be sha256:<64 hex>, got md5:00",
                corrupt("/state/upper/integrity/digest", "md5:00"));
        assertEquals("t: snapshot.json has no image.ref", corrupt("/image/ref", ""));
        assertTrue(assertThrows(SnapshotCorruptException.class, () -> SnapshotManifest.parse("{".getBytes(), "t"))
                .getMessage().startsWith("t: snapshot.json is not JSON"));
    }

    /** Decision 1247: the VM state is an extension the manifest requires; an unknown requirement is refused. */
    @Test
    void aResumableManifestCarriesItsStateAsARequiredExtension() throws Exception {
        SnapshotManifest disk = manifest();
        SnapshotManifest resumable = new SnapshotManifest(disk.imageRef(), disk.imageManifestDigest(),
                disk.sourceSandbox(), disk.spec(), disk.sizeBytes(), disk.upperDigest(), disk.labels(),
                disk.createdAt(), new SnapshotManifest.Memory(92_000_000, "sha256:" + "ef".repeat(32), 5_000_000,
                        "qemu"));
        JsonNode o = MAPPER.readTree(resumable.toJson());
        assertEquals("resumable", o.path("scope").asText());
        assertEquals("[\"io.msb.memory\"]", o.path("requires").toString());
        assertEquals("memory.bin", o.path("extensions").path("io.msb.memory").path("file").asText());
        SnapshotManifest read = SnapshotManifest.parse(resumable.toJson(), "t");
        assertEquals(resumable, read);
        assertTrue(read.info("n", "sha256:00", java.nio.file.Path.of("/x")).resumable());
        assertEquals("t: snapshot.json requires \"io.msb.checkpoint\", which this msb does not know",
                assertThrows(SnapshotCorruptException.class, () -> SnapshotManifest.parse(MAPPER.writeValueAsBytes(
                        ((ObjectNode) o).set("requires", MAPPER.readTree("[\"io.msb.checkpoint\"]"))), "t"))
                        .getMessage());
    }

    private static String corrupt(String pointer, String value) throws Exception {
        ObjectNode o = (ObjectNode) MAPPER.readTree(manifest().toJson());
        int slash = pointer.lastIndexOf('/');
        ((ObjectNode) o.at(pointer.substring(0, slash).isEmpty() ? "" : pointer.substring(0, slash)))
                .put(pointer.substring(slash + 1), value);
        return assertThrows(SnapshotCorruptException.class,
                () -> SnapshotManifest.parse(MAPPER.writeValueAsBytes(o), "t")).getMessage();
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
