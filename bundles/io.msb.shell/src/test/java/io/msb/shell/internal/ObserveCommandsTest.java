package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.PlatformInfo;
import io.msb.api.SandboxService;
import io.msb.testing.EmbeddedMsb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code msb:info} over the real runtime (its bundle in an embedded Felix, no VMM backend), with a warm pool
 * configured as the Web Console or a {@code .cfg} file configures one: a factory configuration of
 * {@code io.msb.runtime.pool} (decision 1260).
 */
class ObserveCommandsTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private SandboxService sandboxes;
    private ObserveCommands commands;

    @BeforeEach
    void open() {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.runtime")
                .configure("io.msb.store", Map.of("maxConnections", 2)).start();
        sandboxes = msb.service(SandboxService.class);
        commands = new ObserveCommands(sandboxes);
    }

    @AfterEach
    void close() {
        msb.close();
    }

    /** Runs a command and returns what it printed, as a console session would show it. */
    private static String printed(Runnable command) {
        PrintStream console = System.out;
        var out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            command.run();
        } finally {
            System.setOut(console);
        }
        return out.toString(StandardCharsets.UTF_8).stripTrailing();
    }

    @Test
    void infoShowsTheWarmPoolsAndWhyOneCannotFill() throws Exception {
        String none = printed(commands::info);
        assertTrue(none.contains("Home: " + home) && none.endsWith("Warm pools: none"), none);

        msb.configureFactory("io.msb.runtime.pool", "busybox", Map.of("image", "builtin:busybox", "cpus", 1,
                "memoryMib", 256, "network", false, "size", 2));
        long deadline = System.nanoTime() + 30_000_000_000L;
        // without a VMM backend or an image service its template cannot be made: the refill fails and says why
        while (sandboxes.platform().pools().stream().allMatch(p -> p.lastError() == null)) {
            assertTrue(System.nanoTime() < deadline, "no failed refill shown: " + sandboxes.platform().pools());
            Thread.sleep(50);
        }
        PlatformInfo.Pool pool = sandboxes.platform().pools().get(0);
        String shown = printed(commands::info);
        assertTrue(shown.endsWith("Warm pools:\n  builtin:busybox: 1 vCPU, 256 MiB, no network; ready 0 of 2;"
                + " taken 0, missed 0; last error: " + pool.lastError()), shown);

        msb.deleteFactory("io.msb.runtime.pool", "busybox");
        deadline = System.nanoTime() + 30_000_000_000L;
        while (!sandboxes.platform().pools().isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "the pool stays: " + sandboxes.platform().pools());
            Thread.sleep(50);
        }
        assertTrue(printed(commands::info).endsWith("Warm pools: none"));
    }
}
