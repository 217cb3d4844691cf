package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** msb snapshot create --memory, the resumable column, and msb branch against a scripted server. */
class SnapshotCommandTest extends ScriptedCliTest {
    private static final String WARM = "{\"name\":\"warm\",\"source_sandbox\":\"dev\",\"image_ref\":\"alpine\","
        + "\"size_bytes\":1024,\"created_at\":\"2026-12-06T12:00:00Z\",\"resumable\":true}";
    private static final String COLD = "{\"name\":\"cold\",\"source_sandbox\":\"dev\",\"image_ref\":\"alpine\","
        + "\"size_bytes\":1024,\"created_at\":\"2026-12-06T12:00:00Z\",\"resumable\":false}";

    private JsonNode sentBody(int i) throws Exception {
        return cli.json().readTree(server.requests.get(i).body());
    }

    private static String made(String... names) {
        StringBuilder sb = new StringBuilder("{\"sandboxes\":[");
        for (int i = 0; i < names.length; i++) {
            sb.append(i == 0 ? "" : ",").append(ScriptedServer.sandbox(names[i], "running"));
        }
        return sb.append("]}").toString();
    }

    @Test
    void createWithMemoryAsksForAResumableSnapshotAndOnlyThenSendsTheField() throws Exception {
        server.on("POST /v1/snapshots", 200, WARM);
        assertEquals(0, msb("snapshot", "create", "--memory", "-l", "k=v", "dev", "warm"), stderr());
        assertEquals("warm\n", stdout());
        JsonNode body = sentBody(0);
        assertEquals("dev", body.get("source_sandbox").asText());
        assertEquals("warm", body.get("name").asText());
        assertTrue(body.get("resumable").asBoolean(), body.toString());
        assertEquals("v", body.get("labels").get("k").asText());

        assertEquals(0, msb("snapshot", "create", "dev", "cold"), stderr());
        assertFalse(sentBody(1).has("resumable"), "a disk snapshot's body is what older servers accept");
    }

    @Test
    void lsAndInspectSayWhetherASnapshotIsResumable() throws Exception {
        server.on("GET /v1/snapshots", 200, "[" + COLD + "," + WARM + "]").on("GET /v1/snapshots/warm", 200, WARM);
        assertEquals(0, msb("snapshot", "ls"), stderr());
        List<String> lines = stdout().lines().toList();
        assertTrue(lines.get(0).matches("NAME +SOURCE +IMAGE +SIZE +RESUMABLE +CREATED"), lines.get(0));
        assertTrue(lines.get(1).matches("cold +dev +alpine +1.0 KiB +no +.*"), lines.get(1));
        assertTrue(lines.get(2).matches("warm +dev +alpine +1.0 KiB +yes +.*"), lines.get(2));
        out.reset();
        assertEquals(0, msb("snapshot", "ls", "--format", "{{.Name}} {{.Resumable}}"), stderr());
        assertEquals("cold no\nwarm yes\n", stdout());
        out.reset();
        assertEquals(0, msb("snapshot", "inspect", "warm"), stderr());
        assertTrue(cli.json().readTree(stdout()).get("resumable").asBoolean(), stdout());
    }

    @Test
    void branchByCountSendsCountAndPrefixAndPrintsTheNames() throws Exception {
        server.on("POST /v1/snapshots/warm/branch", 201, made("w-1", "w-2", "w-3"));
        assertEquals(0, msb("branch", "warm", "3", "--name-prefix", "w"), stderr());
        assertEquals("w-1\nw-2\nw-3\n", stdout());
        assertEquals("{\"count\":3,\"name_prefix\":\"w\"}", sentBody(0).toString());

        assertEquals(0, msb("branch", "warm", "3", "-q"), stderr());
        assertEquals("{\"count\":3}", sentBody(1).toString(), "the server names them after the snapshot");
    }

    @Test
    void branchByNamesAndTheSandboxObjectsWithJsonOrFormat() throws Exception {
        server.on("POST /v1/snapshots/warm/branch", 201, made("a", "b"));
        assertEquals(0, msb("branch", "warm", "--name", "a", "-n", "b"), stderr());
        assertEquals("a\nb\n", stdout());
        assertEquals("{\"names\":[\"a\",\"b\"]}", sentBody(0).toString());
        out.reset();
        assertEquals(0, msb("branch", "warm", "-n", "a", "-n", "b", "--json"), stderr());
        assertEquals("running", cli.json().readTree(stdout()).get(1).get("status").asText(), stdout());
        out.reset();
        assertEquals(0, msb("branch", "warm", "-n", "a", "-n", "b", "--format", "{{.Name}}={{.Status}}"), stderr());
        assertEquals("a=running\nb=running\n", stdout());
    }

    @Test
    void branchRefusesAmbiguousNamingBeforeAskingTheServer() {
        assertEquals(125, msb("branch", "warm"));
        assertTrue(stderr().contains("COUNT or --name: give one of them"), stderr());
        err.reset();
        assertEquals(125, msb("branch", "warm", "2", "--name", "a"));
        assertTrue(stderr().contains("COUNT or --name: give one of them"), stderr());
        err.reset();
        assertEquals(125, msb("branch", "warm", "--name", "a", "--name-prefix", "p"));
        assertTrue(stderr().contains("--name-prefix goes with COUNT, not --name"), stderr());
        err.reset();
        assertEquals(125, msb("branch", "warm", "two"));
        assertTrue(stderr().contains("COUNT"), stderr());
        assertEquals(List.of(), server.lines());

        server.on("POST /v1/snapshots/warm/branch", 400,
            "{\"error\":{\"code\":\"invalid_request\",\"message\":\"count: must be in [1, 64], got 65\"}}");
        err.reset();
        assertEquals(125, msb("branch", "warm", "65"));
        assertEquals("msb: count: must be in [1, 64], got 65\n", stderr());
    }
}
