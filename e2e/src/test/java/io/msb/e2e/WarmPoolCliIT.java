package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A warm pool configured as the README tells users to (decision 1260): a file {@code etc/io.msb.runtime.pool-<name>.cfg}
 * dropped into the running distribution, which Karaf's file install turns into a factory configuration of the runtime.
 * {@code msb info} lists it until it is ready, {@code msb run} of its kind takes its VM, and removing the file removes
 * the pool.
 */
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class WarmPoolCliIT extends BuiltServerIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code msb info --json}'s pools. */
    private static JsonNode pools() throws Exception {
        return JSON.readTree(server.msbOk("info", "--json").output()).path("pools");
    }

    /** Polls the pools until {@code condition} holds; fails after {@code seconds} with what they last were. */
    private static JsonNode awaitPools(String what, int seconds, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode pools = pools();
        while (!condition.test(pools)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " after " + seconds + " s: " + pools + "\n" + server.logTail());
            }
            Thread.sleep(2000);
            pools = pools();
        }
        return pools;
    }

    @Test
    void aPoolFileInEtcFillsAndServesMsbRun() throws Exception {
        Path etc = server.bin("msb").getParent().resolveSibling("etc");
        Path cfg = etc.resolve("io.msb.runtime.pool-busybox.cfg");
        Files.writeString(cfg, "image = builtin:busybox\nsize = 1\n");

        // the template sandbox boots, is saved, and the pool's VM is restored from it: minutes under TCG
        JsonNode pools = awaitPools("pool with a ready VM", 600, p -> p.path(0).path("ready").asInt() >= 1);
        assertEquals(1, pools.size(), pools.toString());
        JsonNode pool = pools.get(0);
        assertEquals("builtin:busybox", pool.path("image").asText(), pool.toString());
        assertEquals(1, pool.path("size").asInt(), pool.toString());
        assertEquals(0, pool.path("taken").asInt(), pool.toString());
        String shown = server.msbOk("info").output();
        assertTrue(shown.contains("Warm pools:") && shown.contains("builtin:busybox") && shown.contains("Ready:"),
                shown);

        HostCommand.Result hi = server.msbOk("run", "--rm", "builtin:busybox", "--", "echo", "hi");
        assertEquals("hi", hi.output().strip());
        pool = pools().get(0);
        assertEquals(1, pool.path("taken").asInt(), "msb run took the pool's VM: " + pool);
        assertEquals(0, pool.path("missed").asInt(), pool.toString());

        Files.delete(cfg);
        awaitPools("pool removed with its file", 120, JsonNode::isEmpty);
    }
}
