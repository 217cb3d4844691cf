package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxStatus;
import io.msb.api.SandboxService;
import io.msb.api.spi.VmmBackend;
import io.msb.testing.AgentdProcessVmmForTests;
import io.msb.testing.EmbeddedMsb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * msb:run, exec, start, stop, kill and ps against the real runtime (its bundles in an embedded Felix, decision 0902),
 * with the real agent run as the VM process (io.msb.testing's backend); images are real disk-image roots.
 */
class RunCommandsTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private AgentdProcessVmmForTests vmm;
    private SandboxService runtime;
    private SandboxCommands commands;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream consoleOut;
    private PrintStream consoleErr;

    @BeforeEach
    void open() {
        assumeTrue(Files.isExecutable(AgentdProcessVmmForTests.AGENTD),
                "needs the agentd binary (built by native/agentd): " + AgentdProcessVmmForTests.AGENTD);
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.rootfs", "io.msb.runtime")
                .configure("io.msb.store", Map.of("maxConnections", 2))
                .configure("io.msb.rootfs", Map.of("defaultUpperSizeMib", 16, "buildThreads", 1, "tailBudgetMib", 1))
                .configure("io.msb.runtime", Map.of("defaultMemoryMib", 256, "stopGraceSeconds", 2)).start();
        vmm = new AgentdProcessVmmForTests();
        msb.register(VmmBackend.class, vmm, Map.of());
        runtime = msb.service(SandboxService.class);
        commands = new SandboxCommands(runtime, "test");
        consoleOut = System.out;
        consoleErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void close() {
        if (consoleOut != null) {
            System.setOut(consoleOut);
            System.setErr(consoleErr);
        }
        if (msb != null) {
            msb.close();
            vmm.destroyAll();
        }
    }

    private String image() throws Exception {
        Path disk = home.resolve("root.img");
        if (!Files.exists(disk)) {
            Files.write(disk, new byte[4096]);
        }
        return disk.toString();
    }

    private String printed() {
        String s = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return s;
    }

    @Test
    void runPrintsTheCommandsOutputAndExitStatus() throws Exception {
        // the VMs here are agentd processes, which have no network device: msb:run's default network is left off
        commands.run("-n", "box", "--no-net", "disk:" + image(), "--", "sh", "-c", "echo out; echo err >&2; exit 4");
        assertEquals("out\n", printed());
        assertEquals("err\n[exit 4]\n", err.toString(StandardCharsets.UTF_8));
        assertEquals(SandboxStatus.RUNNING, runtime.get("box").orElseThrow().status());

        commands.exec("box", "echo", "again");
        assertEquals("again\n", printed());
        commands.ps("");
        assertTrue(printed().contains("box"));
        commands.stop(5, "box");
        printed();
        commands.ps("");
        assertEquals(1, printed().strip().lines().count(), "only the header: nothing runs");
        commands.start("box");
        assertEquals(SandboxStatus.RUNNING, runtime.get("box").orElseThrow().status());
        commands.kill("box");
        assertEquals(SandboxStatus.STOPPED, runtime.get("box").orElseThrow().status());
    }

    @Test
    void runWithRmLeavesNothing() throws Exception {
        commands.run("-n", "gone", "--rm", "--no-net", "disk:" + image(), "echo", "hi");
        assertEquals("hi\n", printed());
        assertTrue(runtime.get("gone").isEmpty());
        assertTrue(Files.notExists(home.resolve("sandboxes/gone")));
    }

    @Test
    void badArgumentsNameTheField() throws Exception {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> commands.run("-n", "x", "-e", "NOVALUE", image(), "true"));
        assertEquals("env", e.field());
        assertThrows(IllegalArgumentException.class, () -> commands.run("--bogus", image()));
        assertThrows(IllegalArgumentException.class, () -> commands.run("-n"));
        assertThrows(IllegalArgumentException.class, () -> commands.exec("x"));
    }
}
