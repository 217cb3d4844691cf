package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** msb image ls, inspect, rm, prune, load and save against a scripted server: what they send and print. */
class ImageCommandTest extends ScriptedCliTest {
    private static final String REF = "127.0.0.1:5000/team/app:1";
    private static final String REF_PATH = "/v1/images/127.0.0.1%3A5000/team/app%3A1";
    private static final String IMAGE = "{\"reference\":\"" + REF + "\",\"manifest_digest\":\"sha256:"
        + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"size\":3145728,"
        + "\"pulled_at\":\"2026-12-06T12:00:01.5Z\",\"layers\":[{\"digest\":\"sha256:aa\"},{\"digest\":\"sha256:bb\"}]}";
    private static final String NOT_FOUND = "{\"error\":{\"code\":\"image_not_found\",\"message\":\"image not found: x\"}}";

    @TempDir
    Path dir;

    @Test
    void lsPrintsAnAlignedTableTheReferencesOrTheJson() {
        server.on("GET /v1/images", 200, "{\"data\":[" + IMAGE + ",{\"reference\":\"builtin:busybox\",\"manifest_digest\":"
            + "\"sha256:ff\",\"size\":1000,\"pulled_at\":\"2026-12-06T12:00:00Z\",\"layers\":[{}]}]}");
        assertEquals(0, msb("image", "ls"), stderr());
        assertEquals("""
            REFERENCE                   DIGEST         LAYERS   SIZE      PULLED
            127.0.0.1:5000/team/app:1   0123456789ab   2        3.0 MiB   2026-12-06 12:00:01
            builtin:busybox             ff             1        1000 B    2026-12-06 12:00:00
            """, stdout());
        out.reset();
        assertEquals(0, msb("image", "ls", "-q"));
        assertEquals(REF + "\nbuiltin:busybox\n", stdout());
        out.reset();
        assertEquals(0, msb("image", "ls", "--json"));
        assertTrue(stdout().startsWith("[ {"), stdout());
    }

    @Test
    void inspectGetsTheReferenceAsPathSegmentsAndPrintsJson() throws Exception {
        server.on("GET " + REF_PATH, 200, IMAGE);
        assertEquals(0, msb("image", "inspect", REF), stderr());
        assertEquals(REF, new com.fasterxml.jackson.databind.ObjectMapper().readTree(stdout()).get("reference").asText());
        assertEquals(List.of("GET " + REF_PATH), server.lines());
    }

    @Test
    void rmRemovesEachImageAndReportsTheOthersFailures() {
        server.on("DELETE " + REF_PATH, 200, "{\"message\":\"image removed\"}")
            .on("DELETE /v1/images/gone", 404, NOT_FOUND);
        assertEquals(125, msb("image", "rm", "gone", REF));
        assertEquals(REF + "\n", stdout());
        assertEquals("msb: image not found: x\n", stderr());
    }

    @Test
    void pruneSaysHowMuchWasFreed() {
        server.on("POST /v1/images/prune", 200, "{\"bytes_freed\":5242880}");
        assertEquals(0, msb("image", "prune"), stderr());
        assertEquals("Reclaimed 5.0 MiB\n", stdout());
    }

    @Test
    void loadSendsTheFileOrStdinAsATar() throws Exception {
        server.on("POST /v1/images/load", 200, "{\"data\":[" + IMAGE + "]}");
        Path tar = Files.writeString(dir.resolve("in.tar"), "tar bytes");
        assertEquals(0, msb("image", "load", "-i", tar.toString()), stderr());
        assertEquals("Loaded image: " + REF + "\n", stdout());
        assertEquals("tar bytes", server.requests.get(0).body());
        stdin = "from stdin".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, msb("image", "load"), stderr());
        assertEquals("from stdin", server.requests.get(1).body());
        assertEquals(125, msb("image", "load", "-i", dir.resolve("missing.tar").toString()));
        assertTrue(stderr().contains("missing.tar: not a readable file"), stderr());
    }

    @Test
    void saveWritesTheArchiveUnderItsNameOnlyWhenComplete() throws Exception {
        server.on("GET " + REF_PATH + "/archive?format=oci", 200, "the tar")
            .on("GET /v1/images/gone/archive?format=docker", 404, NOT_FOUND);
        Path target = dir.resolve("app.tar");
        assertEquals(0, msb("image", "save", "--format", "oci", "-o", target.toString(), REF), stderr());
        assertEquals("the tar", Files.readString(target));
        Path failed = dir.resolve("gone.tar");
        assertEquals(125, msb("image", "save", "-o", failed.toString(), "gone"));
        assertEquals("msb: image not found: x\n", stderr());
        assertFalse(Files.exists(failed));
        try (var left = Files.list(dir)) {
            assertEquals(List.of("app.tar"), left.map(p -> p.getFileName().toString()).toList(), "no partial file left");
        }
        assertEquals(125, msb("image", "save", "--format", "zip", "-o", failed.toString(), REF));
        assertTrue(stderr().contains("--format"), stderr());
    }
}
