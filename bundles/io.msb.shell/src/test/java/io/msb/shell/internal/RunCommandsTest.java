package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxStatus;
import io.msb.api.spi.VmmBackend;
import io.msb.protocol.internal.AgentConnectorComponent;
import io.msb.rootfs.internal.ErofsImageBuilder;
import io.msb.rootfs.internal.LocalRootfsBuilder;
import io.msb.runtime.internal.AnnotationDefaults;
import io.msb.testing.AgentdProcessVmmForTests;
import io.msb.runtime.internal.RuntimeSettings;
import io.msb.runtime.internal.SandboxLifecycle;
import io.msb.store.internal.H2Store;
import io.msb.store.internal.JdbcSandboxStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * msb:run, exec, start, stop, kill and ps against the real runtime, with the real agent run as the VM process
 * (the runtime's test fixture); images are real disk-image roots.
 */
class RunCommandsTest {
    @TempDir
    Path home;
    private JdbcSandboxStore store;
    private AgentdProcessVmmForTests vmm;
    private SandboxLifecycle runtime;
    private SandboxCommands commands;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream consoleOut;
    private PrintStream consoleErr;

    @BeforeEach
    void open() {
        assumeTrue(Files.isExecutable(AgentdProcessVmmForTests.AGENTD),
                "needs the agentd binary (built by native/agentd): " + AgentdProcessVmmForTests.AGENTD);
        store = H2Store.open(home, 2);
        vmm = new AgentdProcessVmmForTests();
        LocalRootfsBuilder rootfs = new LocalRootfsBuilder(home, 16, "mke2fs", "debugfs", new ErofsImageBuilder(1, 1 << 20));
        runtime = new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofSeconds(2)),
                () -> List.<VmmBackend>of(vmm), new AgentConnectorComponent(AnnotationDefaults.of(AgentConnectorComponent.Config.class)),
                () -> null, () -> rootfs);
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
        if (vmm != null) {
            vmm.destroyAll();
            store.close();
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
        commands.run("-n", "box", "disk:" + image(), "--", "sh", "-c", "echo out; echo err >&2; exit 4");
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
        commands.run("-n", "gone", "--rm", "disk:" + image(), "echo", "hi");
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
