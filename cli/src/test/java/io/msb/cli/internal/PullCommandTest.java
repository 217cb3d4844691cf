package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** msb pull against a scripted server's progress stream: plain lines, terminal bars, errors. */
class PullCommandTest extends ScriptedCliTest {
    private static final String PULL = "POST /v1/images/pull";
    private static final String A = "sha256:aaaaaaaaaaaa" + "0".repeat(52);
    private static final String B = "sha256:bbbbbbbbbbbb" + "0".repeat(52);
    static final String STREAM = String.join("\n",
        "{\"type\":\"resolving\",\"reference\":\"127.0.0.1:5000/app:1\"}",
        "{\"type\":\"resolved\",\"manifest_digest\":\"sha256:cc\",\"layers\":2,\"total_bytes\":3145728}",
        "{\"type\":\"layer\",\"digest\":\"" + A + "\",\"done_bytes\":1048576,\"total_bytes\":2097152}",
        "{\"type\":\"layer\",\"digest\":\"" + B + "\",\"done_bytes\":1048576,\"total_bytes\":1048576}",
        "",
        "{\"type\":\"layer\",\"digest\":\"" + A + "\",\"done_bytes\":2097152,\"total_bytes\":2097152}",
        "{\"type\":\"materializing\",\"manifest_digest\":\"sha256:cc\"}",
        "{\"type\":\"complete\",\"image\":{\"reference\":\"127.0.0.1:5000/app:1\",\"manifest_digest\":\"sha256:cc\"}}",
        "");

    @Test
    void plainProgressIsOneLinePerLayerStartAndFinishThenASummary() throws Exception {
        server.on(PULL, 200, STREAM);
        assertEquals(0, msb("pull", "--progress", "plain", "--policy", "always", "127.0.0.1:5000/app:1"), stderr());
        List<String> lines = stdout().lines().toList();
        assertEquals(List.of("Pulling 127.0.0.1:5000/app:1", "Resolved: 2 layers, 3.0 MiB",
            "aaaaaaaaaaaa: downloading 2.0 MiB", "bbbbbbbbbbbb: downloading 1.0 MiB"), lines.subList(0, 4));
        assertTrue(lines.get(4).startsWith("bbbbbbbbbbbb: done, 1.0 MiB in "), lines.get(4));
        assertTrue(lines.get(5).startsWith("aaaaaaaaaaaa: done, 2.0 MiB in "), lines.get(5));
        assertEquals("Building the root disk", lines.get(6));
        assertTrue(lines.get(7).startsWith("Pulled 127.0.0.1:5000/app:1 (cc): 2 layers, 3.0 MiB in "), lines.get(7));
        assertEquals(8, lines.size(), stdout());
        assertTrue(!stdout().contains("\033"), "no escape sequences in a pipe");
        var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(server.requests.get(0).body());
        assertEquals("127.0.0.1:5000/app:1", body.get("reference").asText());
        assertEquals("always", body.get("pull_policy").asText());
    }

    @Test
    void terminalProgressRedrawsOneBarPerLayerInPlace() {
        server.on(PULL, 200, STREAM);
        assertEquals(0, msb("pull", "--progress", "tty", "127.0.0.1:5000/app:1"), stderr());
        String s = stdout();
        assertTrue(s.contains("aaaaaaaaaaaa [===============>              ] 1.0 MiB / 2.0 MiB"), s);
        assertTrue(s.contains("aaaaaaaaaaaa [==============================] 2.0 MiB  done in "), s);
        assertTrue(s.contains("bbbbbbbbbbbb [==============================] 1.0 MiB  done in "), s);
        assertTrue(s.contains("\033[2A"), "the block of two bars is redrawn in place: " + s);
        assertTrue(s.contains("\033[K"), s);
        assertTrue(s.contains("building the root disk"), s);
        assertTrue(s.lines().reduce((a, b) -> b).orElse("").startsWith("Pulled 127.0.0.1:5000/app:1"), s);
    }

    @Test
    void aCachedImageIsUpToDate() {
        server.on(PULL, 200, "{\"type\":\"resolving\",\"reference\":\"alpine\"}\n"
            + "{\"type\":\"resolved\",\"manifest_digest\":\"sha256:cc\",\"layers\":1,\"total_bytes\":10}\n"
            + "{\"type\":\"complete\",\"image\":{\"reference\":\"alpine\",\"manifest_digest\":\"sha256:cc\"}}\n");
        assertEquals(0, msb("pull", "--progress", "plain", "alpine"), stderr());
        assertEquals("Pulling alpine\nResolved: 1 layer, 10 B\nalpine is up to date (cc)\n", stdout());
    }

    @Test
    void errorsBeforeAndDuringTheStreamAreTheServersMessage() {
        server.on(PULL, 404, "{\"error\":{\"code\":\"image_not_found\",\"message\":\"image not found: x:1\"}}");
        assertEquals(125, msb("pull", "x:1"));
        assertEquals("msb: image not found: x:1\n", stderr());
        server.close();
        err.reset();
        out.reset();
        try (ScriptedServer midway = new ScriptedServer()) {
            midway.on(PULL, 200, "{\"type\":\"resolving\",\"reference\":\"x\"}\n"
                + "{\"type\":\"error\",\"status\":502,\"code\":\"registry_unreachable\",\"message\":\"registry gone\"}\n");
            assertEquals(125, Main.run(new String[] {"pull", "--progress", "plain", "x"}, new Cli(out, err,
                new ByteArrayInputStream(new byte[0]), Map.of("MSB_API_URL", midway.url(), "MSB_API_KEY", "k"), null)));
            assertEquals("msb: registry gone\n", stderr());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStreamThatEndsEarlyOrIsNotJsonFails() {
        server.on(PULL, 200, "{\"type\":\"resolving\",\"reference\":\"x\"}\n").on(PULL, 200, "not json\n");
        assertEquals(125, msb("pull", "--progress", "plain", "x"));
        assertEquals("msb: the pull stream ended before the pull did: the server closed the connection\n", stderr());
        err.reset();
        assertEquals(125, msb("pull", "x"));
        assertEquals("msb: pull stream line 1: not a JSON object with a type\n", stderr());
    }

    @Test
    void aBadPolicyIsRefusedNamingTheOption() {
        assertEquals(125, msb("pull", "--policy", "sometimes", "x"));
        assertTrue(stderr().contains("--policy"), stderr());
        assertEquals(List.of(), server.lines());
    }
}
