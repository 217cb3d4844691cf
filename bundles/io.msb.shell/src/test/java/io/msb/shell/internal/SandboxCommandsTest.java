package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.store.SandboxRecord;
import io.msb.runtime.internal.RuntimeSettings;
import io.msb.runtime.internal.SandboxLifecycle;
import io.msb.runtime.internal.SpecJson;
import io.msb.store.internal.H2Store;
import io.msb.store.internal.JdbcSandboxStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands against the real runtime and H2 store, with sandboxes recorded as the runtime records them. */
class SandboxCommandsTest {
    @TempDir
    Path home;
    private JdbcSandboxStore store;
    private SandboxCommands commands;
    private Process vm;

    @BeforeEach
    void open() throws Exception {
        store = H2Store.open(home, 2);
        commands = new SandboxCommands(new SandboxLifecycle(store,
                new RuntimeSettings(home, 1, 512, "qemu", Duration.ofSeconds(1)), List::of, null, () -> null,
                () -> null), "0.1.0.TEST"); // no VMM, no agent: these commands only read and remove records
        vm = new ProcessBuilder("sleep", "1000").start();
        record("web", "docker.io/library/nginx:latest", Map.of("team", "web"), vm.pid());
        record("db", "postgres:16", Map.of("team", "data", "tier", "prod"), 0);
    }

    /** Runs a command and returns what it printed, as a console session would show it. */
    private static String printed(Runnable command) {
        java.io.PrintStream console = System.out;
        var out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            command.run();
        } finally {
            System.setOut(console);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8).stripTrailing();
    }

    @AfterEach
    void close() {
        vm.destroyForcibly();
        store.close();
    }

    private void record(String name, String image, Map<String, String> labels, long pid) {
        Instant now = Instant.now();
        String json = SpecJson.write(SandboxSpec.builder(name).image(image).cpus(2).memoryMib(1024).labels(labels)
                .hostname(name).build());
        store.insertSandbox(new SandboxRecord(name, json, SandboxStatus.STOPPED, false, labels, now, now));
        if (pid > 0) {
            store.startRun(name, pid, now, SandboxStatus.RUNNING);
        }
    }

    @Test
    void lsPrintsATableAndFiltersByLabel() {
        String all = printed(() -> commands.ls(""));
        List<String> lines = all.lines().toList();
        assertEquals(3, lines.size(), all);
        assertTrue(lines.get(0).matches("NAME +STATUS +IMAGE +CPUS +MEMORY +UPTIME +PID"), lines.get(0));
        assertTrue(all.contains("web   RUNNING"), all);
        assertTrue(all.contains(Long.toString(vm.pid())), all);
        assertTrue(all.contains("postgres:16"), all);

        String data = printed(() -> commands.ls("team=data"));
        assertEquals(2, data.lines().count(), data);
        assertTrue(data.contains("db"), data);
        assertEquals(1, printed(() -> commands.ls("tier=dev")).lines().count());
    }

    @Test
    void inspectShowsTheRecordAndRun() {
        String text = printed(() -> commands.inspect("web"));
        assertTrue(text.contains("name: web"), text);
        assertTrue(text.contains("status: RUNNING"), text);
        assertTrue(text.contains("rootfs: docker.io/library/nginx:latest"), text);
        assertTrue(text.contains("labels: {team=web}"), text);
        assertTrue(text.contains("run.pid: " + vm.pid()), text);
        assertEquals("sandbox not found: nope", assertThrows(NotFoundException.class, () -> commands.inspect("nope"))
                .getMessage());
    }

    @Test
    void rmRemovesStoppedSandboxesAndRefusesRunningOnesUnlessForced() throws Exception {
        assertEquals("db", printed(() -> commands.rm(false, "db")));
        assertTrue(store.findSandbox("db").isEmpty());
        assertThrows(StillRunningException.class, () -> commands.rm(false, "web"));
        // no VMM backend here: nothing can tell its VM from a reused pid, so the runtime refuses to signal it
        MsbException refused = assertThrows(MsbException.class, () -> commands.rm(true, "web"));
        assertTrue(refused.getMessage().contains("no VMM backend"), refused.getMessage());
        assertTrue(vm.isAlive(), "a pid no backend recognises is never signalled");
        assertTrue(store.findSandbox("web").isPresent(), "a refused remove keeps the record");
        vm.destroyForcibly().waitFor();
        commands.rm(true, "web"); // its process is gone: reconciled, then removed
        assertTrue(store.findSandbox("web").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> commands.rm(false));
    }

    @Test
    void versionNamesTheBundleVersion() {
        assertEquals("msb 0.1.0.TEST", printed(commands::version));
    }
}
