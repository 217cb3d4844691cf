package io.msb.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Per-session flow control end to end in Felix (decisions 0230, 0310, 1010): an NDJSON exec client that stops
 * reading holds up only its own command; a second exec on the same sandbox completes in full meanwhile, and the
 * stalled output is complete once read. The sandbox's "VM" is the real agentd as a host process (as in
 * {@code HttpApiIT}), so the stalled command's pid is a host pid.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ExecFlowControlIT extends HttpApiTestBase {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** seq 1 N: about 39 MB, 52 MB as NDJSON: more than the socket buffers, the event queue, the client's session
     * buffer, agentd's backlog and the pipe hold together, so the command must block until it is read. */
    private static final int LINES = 5_000_000;


    @Test
    public void aStalledExecClientDelaysNoOtherExecAndLosesNothing() throws Exception {
        HttpApiPlatform.useAgentdAsTheVmm(context, http);
        HttpResponse<String> created = http.send(request("/v1/sandboxes?wait_for=running", HttpApiPlatform.createBody(context, "flow", null)),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(created.body(), 200, created.statusCode());
        try {
            HttpResponse<InputStream> stalled = http.send(
                    request("/v1/sandboxes/by-name/flow/exec", "{\"cmd\":[\"seq\",\"1\",\"" + LINES + "\"]}"),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stalled.statusCode());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stalled.body(), StandardCharsets.UTF_8))) {
                JsonNode started = JSON.readTree(lines.readLine());
                assertEquals("started", started.get("type").asText());
                long pid = started.get("pid").asLong();
                // from here on the stalled client reads nothing until the other exec is done

                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> second = http.send(
                            request("/v1/sandboxes/by-name/flow/exec", "{\"cmd\":[\"echo\",\"second\"]}"),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(second.body(), 200, second.statusCode());
                    Stream s = Stream.of(new BufferedReader(new java.io.StringReader(second.body())));
                    assertEquals("second\n", s.stdout.toString(StandardCharsets.UTF_8));
                    assertEquals("the second exec's exit: " + second.body(), 0, s.exitCode);
                }
                assertTrue("the stalled command is blocked by its reader, not finished",
                        ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

                Stream rest = Stream.of(lines);
                assertEquals(0, rest.exitCode);
                byte[] expected = seq(LINES);
                assertEquals("every byte of the stalled exec arrives", expected.length, rest.stdout.size());
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                assertArrayEquals(sha.digest(expected), sha.digest(rest.stdout.toByteArray()));
            }
        } finally {
            http.send(request("DELETE", "/v1/sandboxes/by-name/flow", null), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The stdout and exit code of an NDJSON exec stream (blank keep-alive lines skipped). */
    private record Stream(ByteArrayOutputStream stdout, int exitCode) {
        static Stream of(BufferedReader lines) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int code = -1;
            for (String line; (line = lines.readLine()) != null;) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode e = JSON.readTree(line);
                switch (e.get("type").asText()) {
                    case "stdout" -> out.writeBytes(Base64.getDecoder().decode(e.get("data").asText()));
                    case "exit" -> code = e.get("code").asInt();
                    case "error" -> throw new AssertionError("the exec failed: " + line);
                    default -> {
                    }
                }
            }
            return new Stream(out, code);
        }
    }

    private static byte[] seq(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            b.append(i).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private HttpRequest request(String path, String body) {
        return request("POST", path, body);
    }

    private HttpRequest request(String method, String path, String body) {
        return HttpApiPlatform.request(context, method, path, body, "Bearer " + HttpApiPlatform.KEY);
    }
}
