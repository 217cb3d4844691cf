package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * microsandbox's official Node SDK (npm {@code microsandbox@0.6.18}) drives a real msb server, the distribution
 * started with {@code bin/msb-server start}, as a user would: the scripts in {@code src/test/node} assert every step
 * and print {@code ok}/{@code FAIL} lines, which this test shows when they do not pass (decision 1026). Skipped, with
 * the reason, only when node or npm is missing.
 */
class NodeSdkIT {
    private static MsbServer server;
    private static NodeSdk sdk;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        Platform.requireHostTools();
        sdk = NodeSdk.install(work.resolve("node"));
        Path archive = Path.of(System.getProperty("msb.e2e.distribution", ""));
        assertTrue(Files.isRegularFile(archive), "no server archive (io.msb:msb-distribution:tar.gz): " + archive);
        server = MsbServer.start(archive, Platform.kernelCache());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** Create, exec, files, get, list, stop, start and remove through the cloud API and the agent WebSocket. */
    @Test
    void cloudApi() throws Exception {
        run("sdk-cloud");
    }

    /** Named volumes and their file routes through the SDK's {@code Volume} (decision 1214); no VM. */
    @Test
    void volumes() throws Exception {
        run("sdk-volumes");
    }

    /** The SDK's low-level {@code AgentClient} on the sandbox's relay socket under the server's home. */
    @Test
    void agentClientOnTheRelaySocket() throws Exception {
        run("sdk-agent-client");
    }

    /** Mounts built with the SDK's volume builder (decision 1200): bind read-write and read-only, a sized tmpfs. */
    @Test
    void mounts() throws Exception {
        run("sdk-mounts");
    }

    private static void run(String script) throws Exception {
        HostCommand.Result r = sdk.run(script + ".mjs", Map.of("MSB_API_URL", server.url, "MSB_API_KEY", server.apiKey,
                "MSB_SERVER_HOME", server.home.toString()));
        System.out.println(r.output());
        String context = r.output() + "\n--- the server's log, last lines:\n" + server.logTail();
        assertEquals(0, r.exit(), script + ".mjs failed:\n" + context);
        assertTrue(r.output().contains("PASSED " + script), "no PASSED line from " + script + ".mjs:\n" + context);
    }
}
