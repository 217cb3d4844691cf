package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands against the real runtime and store (their bundles in an embedded Felix, decision 0902), with
 * sandboxes recorded as the runtime records them.
 */
class SandboxCommandsTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private SandboxStore store;
    private SandboxCommands commands;
    private Process vm;

    @BeforeEach
    void open() throws Exception {
        // no VMM backend: these commands only read and remove records
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.runtime")
                .configure("io.msb.store", Map.of("maxConnections", 2))
                .configure("io.msb.runtime", Map.of("defaultMemoryMib", 512, "stopGraceSeconds", 1)).start();
        store = msb.service(SandboxStore.class);
        commands = new SandboxCommands(msb.service(SandboxService.class), "0.1.0.TEST");
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
        msb.close();
    }

    /** A record in the runtime's stored form of a spec (version 1 of its JSON, a persisted contract). */
    private void record(String name, String image, Map<String, String> labels, long pid) {
        Instant now = Instant.now();
        String json = """
                {"v":1,"name":"%s","rootfs":{"kind":"oci","reference":"%s"},"cpus":2,"memoryMib":1024,\
                "diskSizeMib":0,"env":{},"labels":{%s},"hostname":"%s","mounts":[],"pullPolicy":"IF_MISSING"}"""
                .formatted(name, image, labels.entrySet().stream()
                        .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"").collect(Collectors.joining(",")),
                        name);
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
        assertTrue(lines.get(0).matches("NAME +STATUS +IMAGE +BACKEND +CPUS +MEMORY +UPTIME +PID"), lines.get(0));
        // no VMM backend runs here: the VM is alive, so it is not a crash, but its backend is away
        assertTrue(all.contains("web   RUNNING (backend unavailable)"), all);
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
        assertTrue(text.contains("status: RUNNING (backend unavailable)"), text);
        assertTrue(text.contains("backend: -"), text + "\n(a record that names no backend)");
        assertTrue(text.contains("rootfs: docker.io/library/nginx:latest"), text);
        assertTrue(text.contains("labels: {team=web}"), text);
        assertTrue(text.contains("run.pid: " + vm.pid()), text);
        assertEquals("sandbox not found: nope", assertThrows(NotFoundException.class, () -> commands.inspect("nope"))
                .getMessage());
    }

    @Test
    void netpolicyReplacesThePolicyAndInspectShowsIt() {
        Instant now = Instant.now();
        // version 2 of the stored form carries the network in microsandbox's JSON (decision 1140)
        store.insertSandbox(new SandboxRecord("api", """
                {"v":2,"name":"api","rootfs":{"kind":"oci","reference":"alpine"},"cpus":1,"memoryMib":256,\
                "diskSizeMib":0,"env":{},"labels":{},"mounts":[],"network":{"enabled":true},"pullPolicy":"IF_MISSING"}""",
                SandboxStatus.STOPPED, false, Map.of(), now, now));
        assertTrue(printed(() -> commands.inspect("api")).contains("network.policy: {default_egress=deny, "
                + "default_ingress=allow, rules=[{direction=egress, destination={group=host}"), "the public profile");
        String changed = printed(() -> commands.netpolicy("api", "--net-profile", "none", "--net-allow", "host:5432"));
        assertTrue(changed.startsWith("network.enabled: true"), changed);
        assertTrue(changed.contains("network.policy: {default_egress=deny, default_ingress=deny, rules=[{direction=egress,"
                + " destination={group=host}, protocols=[], ports=[{start=5432, end=5432}], action=allow}]}"), changed);
        assertTrue(printed(() -> commands.inspect("api")).contains("ports=[{start=5432, end=5432}]"), "kept");
        assertEquals("network", assertThrows(io.msb.api.InvalidConfigException.class,
                () -> commands.netpolicy("db", "--net-profile", "none")).field());
        assertTrue(printed(() -> commands.inspect("db")).contains("network.enabled: false"));
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
    void pauseAndResumeRefuseAStoppedSandboxWithTheRuntimesReason() {
        assertEquals("cannot pause sandbox db: it is stopped (only a running sandbox can be paused)",
                assertThrows(io.msb.api.InvalidStateException.class, () -> commands.pause("db")).getMessage());
        assertEquals("cannot resume sandbox db: it is stopped (only a paused sandbox can be resumed)",
                assertThrows(io.msb.api.InvalidStateException.class, () -> commands.resume("db")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> commands.pause());
    }

    @Test
    void versionNamesTheBundleVersion() {
        assertEquals("msb 0.1.0.TEST", printed(commands::version));
    }
}
