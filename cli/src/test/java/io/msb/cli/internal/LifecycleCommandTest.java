package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** create, kill, restart and wait against a scripted server: the requests they send and what they print. */
class LifecycleCommandTest extends ScriptedCliTest {
    private static final String BOX = "/v1/sandboxes/by-name/box";

    @Test
    void createBootsTheSandboxOfRunsOptionsAndPrintsItsName() throws Exception {
        server.on("POST /v1/sandboxes?wait_for=running", 200, ScriptedServer.sandbox("box", "running"));
        assertEquals(0, msb("create", "--name", "box", "-e", "A=1", "--memory", "1G", "builtin:busybox"), stderr());
        assertEquals("box\n", stdout());
        assertEquals(List.of("POST /v1/sandboxes?wait_for=running"), server.lines());
        var spec = cli.json().readTree(server.requests.get(0).body());
        assertEquals("builtin:busybox", spec.at("/image/reference").asText());
        assertEquals(1024, spec.at("/resources/memory_mib").asInt());
        assertEquals("[{\"key\":\"A\",\"value\":\"1\"}]", spec.get("env").toString());
    }

    @Test
    void createRunsNoCommand() {
        assertEquals(125, msb("create", "builtin:busybox", "echo", "hi"));
        assertTrue(stderr().contains("Unmatched argument"), stderr());
        err.reset();
        assertEquals(125, msb("create", "-i", "builtin:busybox"));
        assertTrue(stderr().startsWith("msb: Unknown option: '-i'"), stderr());
        assertEquals(List.of(), server.lines());
    }

    @Test
    void killPostsKillForEachNameAndReportsTheServersRefusalOnStderr() {
        server.on("POST " + BOX + "/kill", 200, ScriptedServer.sandbox("box", "stopped"))
            .on("POST /v1/sandboxes/by-name/idle/kill", 409,
                "{\"error\":{\"code\":\"invalid_state_transition\",\"message\":\"cannot kill sandbox idle: it is stopped\"}}");
        assertEquals(125, msb("kill", "idle", "box"));
        assertEquals("box\n", stdout(), "a failure does not stop the others");
        assertEquals("msb: cannot kill sandbox idle: it is stopped\n", stderr());
    }

    @Test
    void restartStopsARunningSandboxThenStartsIt() {
        server.on("GET " + BOX, 200, ScriptedServer.sandbox("box", "running"))
            .on("POST " + BOX + "/stop", 200, ScriptedServer.sandbox("box", "stopped"))
            .on("POST " + BOX + "/start", 200, ScriptedServer.sandbox("box", "running"));
        assertEquals(0, msb("restart", "box"), stderr());
        assertEquals("box\n", stdout());
        assertEquals(List.of("GET " + BOX, "POST " + BOX + "/stop", "POST " + BOX + "/start"), server.lines());
    }

    @Test
    void restartOnlyStartsAStoppedSandbox() {
        server.on("GET " + BOX, 200, ScriptedServer.sandbox("box", "stopped"))
            .on("POST " + BOX + "/start", 200, ScriptedServer.sandbox("box", "running"));
        assertEquals(0, msb("restart", "box"), stderr());
        assertEquals(List.of("GET " + BOX, "POST " + BOX + "/start"), server.lines());
    }

    @Test
    void waitPollsUntilTheSandboxNoLongerRunsAndPrintsHowItEnded() {
        server.on("GET " + BOX, 200, ScriptedServer.sandbox("box", "running"))
            .on("GET " + BOX, 200, ScriptedServer.sandbox("box", "stopping"))
            .on("GET " + BOX, 200, ScriptedServer.sandbox("box", "failed"));
        assertEquals(0, msb("wait", "box"), stderr());
        assertEquals("failed\n", stdout());
        assertEquals(3, server.lines().size(), server.lines().toString());
    }

    @Test
    void waitForASandboxThatDoesNotExistSaysSoAndFails() {
        assertEquals(125, msb("wait", "gone"));
        assertEquals("", stdout());
        assertTrue(stderr().startsWith("msb: no route GET /v1/sandboxes/by-name/gone"), stderr());
    }
}
