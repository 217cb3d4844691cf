package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.NotFoundException;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.testing.EmbeddedMsb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code msb:stats}/{@code msb:metrics} rendering, and {@code msb:info} over the real runtime (its bundle in an embedded Felix, no VMM backend), with a warm pool
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
    void statsAndMetricsShowEveryFigureAndADashForWhatIsNotKnown() {
        SandboxMetrics known = new SandboxMetrics(42, Duration.ofMillis(1500), 300L << 20,
                Instant.parse("2026-12-07T04:00:00Z"), new SandboxMetrics.GuestMemory(200L << 20, 150L << 20),
                new SandboxMetrics.Network(2048, 1024, 3, 2), new SandboxMetrics.Disk(5L << 20, 1L << 20), 256L << 20,
                Duration.ofSeconds(90), 12.5);
        assertEquals(List.of("box", "12.50%", "1.50s", "300.0 MiB", "50.0 MiB / 200.0 MiB", "256.0 MiB",
                "5.0 MiB / 1.0 MiB", "2.0 KiB / 1.0 KiB"), ObserveCommands.row("box", known));
        assertEquals(String.join(System.lineSeparator(), "PID: 42", "Sampled at: 2026-12-07T04:00:00Z",
                "Uptime: 90.00s", "CPU: 12.50%", "CPU time: 1.50s", "VM RSS: 300.0 MiB", "Memory limit: 256.0 MiB",
                "Guest memory used: 50.0 MiB", "Guest memory available: 150.0 MiB", "Disk read: 5.0 MiB",
                "Disk written: 1.0 MiB", "Net received: 2.0 KiB (3 packets)", "Net sent: 1.0 KiB (2 packets)"),
                ObserveCommands.describe(known));

        SandboxMetrics bare = new SandboxMetrics(42, Duration.ZERO, 1, Instant.parse("2026-12-07T04:00:00Z"));
        assertEquals(List.of("box", "-", "0.00s", "1 B", "-", "-", "-", "-"), ObserveCommands.row("box", bare));
        assertTrue(ObserveCommands.describe(bare).contains("Uptime: -" + System.lineSeparator() + "CPU: -"));
    }

    @Test
    void metricsOfASandboxThatDoesNotExistSaysSo() {
        NotFoundException e = assertThrows(NotFoundException.class, () -> commands.metrics("ghost"));
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
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
