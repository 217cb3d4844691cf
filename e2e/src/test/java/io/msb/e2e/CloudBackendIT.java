package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.backend.cloud.internal.CloudBackend;
import io.msb.backend.cloud.internal.CloudBackendConfig;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloud backend (io.msb.backend.cloud) with two real servers on this machine, each the distribution as users
 * start it, with its own ports and home: A is configured with B's URL and key, and the backend places a sandbox
 * on B, whose VM then runs there; B's bundle restart and B's own stop and start keep the sandbox usable.
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang guard, not a time assertion
class CloudBackendIT {
    private static final String BOX = "cloud-box";
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path local;

    @Test
    void aSandboxPlacedOnAnotherServerRunsThereAndOutlivesItsRestarts() throws Exception {
        Platform.requireHostTools();
        try (MsbServer b = MsbServer.startBuilt();
                MsbServer a = MsbServer.startBuilt(Map.of("io.msb.backend.cloud.cfg",
                        "url = " + b.url + "\n.apiKey = " + b.apiKey + "\n"))) {
            theKeyLeavesAsConfiguration(a, b);

            CloudBackend backend = new CloudBackend(config(b), Map.of(), null);
            try {
                Platform.await("backend cloud sees B", backend::available);
                SandboxHandle box = backend.create(SandboxSpec.builder(BOX).image(Platform.IMAGE).build());
                long pid = runsOnB(b);
                SandboxInfo info = backend.get(BOX).orElseThrow();
                assertEquals(SandboxStatus.RUNNING, info.status());
                assertEquals("cloud", info.spec().backend());
                assertEquals(List.of(BOX), backend.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());

                execWorks(box);
                box.fs().write("/tmp/through-a", "written on A\n".getBytes());
                assertEquals("written on A\n", new String(box.fs().readAllBytes("/tmp/through-a")));
                assertEquals(13, box.fs().stat("/tmp/through-a").size());
                assertTrue(logs(backend).contains("from-the-guest"), "B's logs of the sandbox, read through A");
                assertTrue(box.metrics().pid() == pid, "metrics name B's VM process");

                // B's VMM bundle goes away and comes back: the VM is reattached, exec works again
                assertConsole(b, "bundle:stop " + Platform.QEMU_PID);
                assertConsole(b, "bundle:start " + Platform.QEMU_PID);
                Platform.await("exec through A after B's qemu bundle restarted", () -> execSucceeds(box));
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the same VM runs on");

                // B itself stops: its detached VM runs on; A shows the sandbox as unreachable, never lost
                b.stopServer();
                Platform.await("backend cloud notices B is gone", () -> !backend.available());
                SandboxInfo away = backend.get(BOX).orElseThrow();
                assertFalse(away.backendAvailable());
                assertEquals(SandboxStatus.RUNNING, away.status());
                MsbException refused = assertThrows(MsbException.class, () -> box.exec(ExecOptions.of("true").build()));
                assertTrue(refused.getMessage().contains("backend cloud") && refused.getMessage().contains(b.url)
                        && refused.getMessage().contains("cannot be reached"), refused.getMessage());
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "B's VM outlives B");

                b.restart();
                Platform.await("exec through A after B restarted", () -> execSucceeds(box));
                assertTrue(backend.get(BOX).orElseThrow().backendAvailable());

                backend.remove(BOX, true);
                assertEquals(404, b.api("GET", "/v1/sandboxes/by-name/" + BOX, null).statusCode());
                assertTrue(backend.list(LabelSelector.ALL).isEmpty());
            } finally {
                backend.deactivate();
            }
        }
    }

    /** A's backend is active from its etc/ file, and the key moved from that file to a file only A's owner reads. */
    private static void theKeyLeavesAsConfiguration(MsbServer a, MsbServer b) throws Exception {
        Path keyFile = a.home.resolve("backends/cloud/api-key");
        Platform.await("A moves the key to " + keyFile, () -> Files.exists(keyFile));
        assertEquals(b.apiKey, Files.readString(keyFile).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        Platform.await("A's etc/io.msb.backend.cloud.cfg without the key", () -> {
            try {
                return !Files.readString(a.etc("io.msb.backend.cloud.cfg")).contains(b.apiKey);
            } catch (java.io.IOException e) {
                return false;
            }
        });
        Platform.await("A registers the cloud backend", () -> {
            try {
                HostCommand.Result r = a.console("service:list io.msb.api.spi.SandboxBackend");
                return r.output().contains("msb.backend = cloud") && !r.output().contains(b.apiKey);
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** B runs the sandbox: its API and `msb ls` show it running, with a live QEMU process. */
    private static long runsOnB(MsbServer b) throws Exception {
        JsonNode onB = JSON.readTree(b.api("GET", "/v1/sandboxes/by-name/" + BOX, null).body());
        assertEquals("running", onB.path("status").asText(), onB.toString());
        HostCommand.Result ls = b.msbOk("ls");
        assertTrue(ls.output().lines().anyMatch(l -> l.startsWith(BOX + " ") && l.contains("running")), ls.output());
        long pid = JSON.readTree(b.api("GET", "/v1/sandboxes/by-name/" + BOX + "/metrics", null).body())
                .path("pid").asLong();
        String command = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("");
        assertTrue(command.contains("qemu-system"), "B's VM process " + pid + ": " + command);
        return pid;
    }

    private static void execWorks(SandboxHandle box) throws InterruptedException {
        ExecResult collected = box.exec(ExecOptions.of("/bin/sh", "-c", "echo from-the-guest; echo err >&2; exit 4")
                .build());
        assertEquals("from-the-guest\n", collected.stdoutText());
        assertEquals("err\n", collected.stderrText());
        assertEquals(4, collected.exit().code());

        List<ExecEvent> events = new CopyOnWriteArrayList<>();
        var session = box.execStream(ExecOptions.of("/bin/sh", "-c", "cat; echo streamed")
                .stdin("in\n".getBytes()).build(), events::add);
        assertEquals(0, session.waitFor(Duration.ofMinutes(2)).code());
        assertInstanceOf(ExecEvent.Started.class, events.get(0));
        StringBuilder out = new StringBuilder();
        events.stream().filter(e -> e instanceof ExecEvent.Stdout).forEach(e -> out.append(
                new String(((ExecEvent.Stdout) e).data())));
        assertEquals("in\nstreamed\n", out.toString());
        assertInstanceOf(ExecEvent.Exited.class, events.get(events.size() - 1));
    }

    private static boolean execSucceeds(SandboxHandle box) {
        try {
            return box.exec(ExecOptions.of("echo", "back").build()).stdoutText().equals("back\n");
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private static String logs(CloudBackend backend) throws InterruptedException {
        StringBuilder all = new StringBuilder();
        try (LogStream s = backend.logs(BOX, EnumSet.of(LogSource.STDOUT), LogCursor.EMPTY, false)) {
            List<LogEntry> entries = new ArrayList<>();
            while (!s.ended()) {
                entries.addAll(s.next(100, Duration.ofSeconds(10)));
            }
            entries.forEach(e -> all.append(e.text()));
        }
        return all.toString();
    }

    private static void assertConsole(MsbServer server, String command) throws Exception {
        HostCommand.Result r = server.console(command);
        assertEquals(0, r.exit(), command + ": " + r.output());
    }

    /** The backend's configuration for B: its URL, the key in a file of this test's own home. */
    private CloudBackendConfig config(MsbServer b) throws Exception {
        Path keyFile = local.resolve("api-key");
        Files.writeString(keyFile, b.apiKey);
        Map<String, Object> values = Map.of("url", b.url, "apiKeyFile", keyFile.toString(), "home", local.toString(),
                "healthIntervalSecs", 1);
        return (CloudBackendConfig) Proxy.newProxyInstance(CloudBackendIT.class.getClassLoader(),
                new Class<?>[] {CloudBackendConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "annotationType" -> CloudBackendConfig.class;
                    case "hashCode" -> 0;
                    case "equals" -> proxy == args[0];
                    case "toString" -> "config";
                    default -> values.getOrDefault(method.getName(), method.getDefaultValue());
                });
    }
}
