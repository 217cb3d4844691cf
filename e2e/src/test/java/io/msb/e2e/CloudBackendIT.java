package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.fs.FileType;
import io.msb.api.spi.SandboxBackend;
import io.msb.testing.EmbeddedMsb;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cloud backend (io.msb.backend.cloud) with two real servers on this machine, each the distribution as users
 * start it, with its own ports and home: A's etc/io.msb.backend.cloud.cfg names B's URL and key. A sandbox created
 * on A with backend cloud runs its VM on B; A's CLI and HTTP API reach it (exec, files, logs, metrics); B's VMM
 * bundle restart, B's own stop and start, and A's kill -9 and start leave it usable from A; removing it on A removes
 * it on B.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 30, unit = TimeUnit.MINUTES) // a hang guard, not a time assertion
class CloudBackendIT {
    private static final String BOX = "cloud-box";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static MsbServer b;
    private static MsbServer a;

    @BeforeAll
    static void startServers() throws Exception {
        Platform.requireHostTools();
        b = MsbServer.startBuilt();
        a = MsbServer.startBuilt(Map.of("io.msb.backend.cloud.cfg", "url = " + b.url + "\n.apiKey = " + b.apiKey
                + "\n"));
    }

    @AfterAll
    static void stopServers() {
        for (MsbServer server : new MsbServer[] {a, b}) {
            if (server != null) {
                server.close();
            }
        }
    }

    /** A's backend runs from its etc/ file, and the key moved from that file to a file only A's owner reads. */
    @Test
    @Order(1)
    void theKeyLeavesTheConfigurationForAnOwnerOnlyFile() throws Exception {
        Path keyFile = a.home.resolve("backends/cloud/api-key");
        Platform.await("A moves the key to " + keyFile, () -> Files.exists(keyFile));
        assertEquals(b.apiKey, Files.readString(keyFile).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
        Platform.await("A's etc/io.msb.backend.cloud.cfg without the key",
                () -> !read(a.etc("io.msb.backend.cloud.cfg")).contains(b.apiKey));
        String services = a.console("service:list io.msb.api.spi.SandboxBackend");
        assertTrue(services.contains("msb.backend = cloud"), services);
        assertFalse(services.contains(b.apiKey), "the key is no service property");
    }

    @Test
    @Order(2)
    void aSandboxCreatedOnAWithBackendCloudRunsOnBAndOutlivesItsRestarts() throws Exception {
        createOnA();

        long pid = runsOnB();
        assertTrue(listed(a).contains(" cloud ") && listed(a).contains("running"), listed(a));
        assertFalse(listed(a).contains("unavailable"), listed(a));

        HostCommand.Result collected = a.msb("exec", BOX, "--", "/bin/sh", "-c", "echo from-the-guest; echo err >&2; exit 4");
        assertEquals(4, collected.exit(), collected.output());
        assertTrue(collected.output().contains("from-the-guest") && collected.output().contains("err"),
                collected.output());
        // streamed through A's NDJSON exec, with stdin: a file written on B's guest through A, then read back
        List<JsonNode> events = exec(a, List.of("/bin/sh", "-c", "cat > /tmp/through-a; cat /tmp/through-a; echo streamed"),
                "written through A\n");
        assertEquals("started", events.get(0).path("type").asText(), events.toString());
        assertEquals("written through A\nstreamed\n", stdout(events));
        assertEquals(0, events.get(events.size() - 1).path("code").asInt(), events.toString());
        assertEquals("written through A\n", a.msbOk("exec", BOX, "--", "cat", "/tmp/through-a").output());
        assertTrue(a.msbOk("logs", BOX).output().contains("from-the-guest"), "B's logs of the sandbox, through A");
        JsonNode metrics = JSON.readTree(a.api("GET", "/v1/sandboxes/by-name/" + BOX + "/metrics", null).body());
        assertEquals(pid, metrics.path("pid").asLong(), "A's metrics are B's VM's: " + metrics);

        // B's VMM bundle goes away and comes back: exec from A works again, on the same VM
        b.console("bundle:stop " + Platform.QEMU_PID);
        b.console("bundle:start " + Platform.QEMU_PID);
        Platform.await("exec through A after B's qemu bundle restarted", CloudBackendIT::execWorks);
        assertTrue(alive(pid), "the same VM runs on");

        // B itself stops: its detached VM runs on; A shows the sandbox as unreachable, never lost
        b.stopServer();
        Platform.await("A notices B is gone", () -> listed(a).contains("running (backend unavailable)"));
        HostCommand.Result refused = a.msb("exec", BOX, "--", "true");
        assertNotEquals(0, refused.exit(), refused.output());
        assertTrue(refused.output().contains("backend cloud") && refused.output().contains(b.url)
                && refused.output().contains("cannot be reached"), refused.output());
        assertTrue(alive(pid), "B's VM outlives B");

        b.startAgain();
        Platform.await("exec through A after B restarted", CloudBackendIT::execWorks);
        assertFalse(listed(a).contains("unavailable"), listed(a));

        // A crashes: its journal keeps the placement, so after its restart it still answers for the sandbox
        a.killServer();
        a.startAgain();
        Platform.await("A lists the sandbox again after its crash", () -> listed(a).contains(" cloud ")
                && listed(a).contains("running") && !listed(a).contains("unavailable"));
        assertTrue(execWorks(), "exec through A after A's crash");

        a.msbOk("rm", "-f", BOX);
        assertEquals(404, b.api("GET", "/v1/sandboxes/by-name/" + BOX, null).statusCode());
        assertFalse(a.msbOk("ls").output().contains(BOX));
    }

    /**
     * The backend's files, which go over the sandbox's exec (the HTTP API has no file route), against B: the bundle
     * A runs, here in an embedded framework of this JVM with its own home, used through its SandboxBackend service.
     */
    @Test
    @Order(3)
    void filesOfARemoteSandboxGoOverItsExec(@TempDir Path local) throws Exception {
        Path keyFile = local.resolve("api-key");
        Files.writeString(keyFile, b.apiKey);
        try (EmbeddedMsb msb = EmbeddedMsb.builder(local).bundles("io.msb.backend.cloud")
                .configure("io.msb.backend.cloud", Map.of("url", b.url, "apiKeyFile", keyFile.toString(),
                        "home", local.toString(), "healthIntervalSecs", 1))
                .start()) {
            SandboxBackend backend = msb.service(SandboxBackend.class, "(msb.backend=cloud)");
            Platform.await("the backend sees B", backend::available);
            SandboxHandle box = backend.create(SandboxSpec.builder("cloud-files").image(Platform.IMAGE).build());
            box.fs().mkdirs("/tmp/d/e", 0750);
            box.fs().write("/tmp/d/e/f", "content\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("content\n", new String(box.fs().readAllBytes("/tmp/d/e/f"), StandardCharsets.UTF_8));
            assertEquals(8, box.fs().stat("/tmp/d/e/f").size());
            assertEquals(FileType.DIRECTORY, box.fs().stat("/tmp/d/e").type());
            assertEquals(0750, box.fs().stat("/tmp/d/e").mode());
            box.fs().symlink("/tmp/d/e/f", "/tmp/d/link");
            assertEquals("/tmp/d/e/f", box.fs().readlink("/tmp/d/link"));
            assertEquals(List.of("/tmp/d/e", "/tmp/d/link"),
                    box.fs().list("/tmp/d").stream().map(s -> s.path()).sorted().toList());
            box.fs().removeRecursive("/tmp/d");
            assertThrows(NotFoundException.class, () -> box.fs().stat("/tmp/d"));
            backend.remove("cloud-files", true);
            assertEquals(404, b.api("GET", "/v1/sandboxes/by-name/cloud-files", null).statusCode());
        }
    }

    /** {@code msb create --backend cloud} on A, again while A's backend has not yet seen B answer (just started). */
    private static void createOnA() throws Exception {
        for (int attempt = 0; ; attempt++) {
            HostCommand.Result r = a.msb("create", "--name", BOX, "--backend", "cloud", Platform.IMAGE);
            if (r.exit() == 0) {
                return;
            }
            if (attempt == 60 || !r.output().contains("cannot be reached now")) {
                throw new AssertionError("create on A: " + r.output() + "\n" + a.logTail());
            }
            Thread.sleep(1000);
        }
    }

    /** B runs the sandbox: its API and `msb ls` show it running, with a live QEMU process. */
    private static long runsOnB() throws Exception {
        JsonNode onB = JSON.readTree(b.api("GET", "/v1/sandboxes/by-name/" + BOX, null).body());
        assertEquals("running", onB.path("status").asText(), onB.toString());
        String lsB = listed(b);
        assertTrue(lsB.contains("running") && !lsB.contains(" cloud "), lsB);
        long pid = JSON.readTree(b.api("GET", "/v1/sandboxes/by-name/" + BOX + "/metrics", null).body())
                .path("pid").asLong();
        String command = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("");
        assertTrue(command.contains("qemu-system"), "B's VM process " + pid + ": " + command);
        return pid;
    }

    /** The box's line of {@code msb ls} on that server. */
    private static String listed(MsbServer server) {
        try {
            HostCommand.Result ls = server.msbOk("ls");
            return ls.output().lines().filter(l -> l.startsWith(BOX + " ")).findFirst().orElse("");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static boolean execWorks() {
        try {
            HostCommand.Result r = a.msb("exec", BOX, "--", "echo", "back");
            return r.exit() == 0 && r.output().trim().equals("back");
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** A's NDJSON exec with {@code stdin}: its events, blank keepalive lines left out. */
    private static List<JsonNode> exec(MsbServer server, List<String> cmd, String stdin) throws Exception {
        Map<String, Object> body = Map.of("cmd", cmd, "stdin",
                Base64.getEncoder().encodeToString(stdin.getBytes(StandardCharsets.UTF_8)));
        HttpResponse<String> r = server.api("POST", "/v1/sandboxes/by-name/" + BOX + "/exec",
                JSON.writeValueAsString(body));
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (!line.isBlank()) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    private static String stdout(List<JsonNode> events) {
        StringBuilder out = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("stdout")).forEach(e -> out.append(
                new String(Base64.getDecoder().decode(e.path("data").asText()), StandardCharsets.UTF_8)));
        return out.toString();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
