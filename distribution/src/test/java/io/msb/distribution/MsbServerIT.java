package io.msb.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Boots a copy of the real assembly with {@code bin/msb-server start} on free loopback ports and a
 * temporary MSB_HOME, talks to it through {@code bin/client} and the Web Console, and stops it.
 * The server process is killed and the copy removed whatever happens.
 */
@TestMethodOrder(OrderAnnotation.class)
@ExtendWith(MsbServerIT.DumpLogOnFailure.class)
class MsbServerIT {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);
    /** Under -Pe2e the server also boots a real sandbox (QEMU, kernel, agentd). */
    private static final boolean E2E = "false".equals(System.getProperty("msb.e2e.skip", "true"));

    private static Path home;
    private static Path msbHome;
    private static int sshPort;
    /** The SSH endpoint into sandboxes (feature msb-ssh, io.msb.ssh); sshPort is Karaf's console. */
    private static int sandboxSshPort;
    private static int httpPort;
    private static String password;
    private static Result started;

    @BeforeAll
    static void start() throws Exception {
        Path assembly = Path.of(System.getProperty("msb.assembly", "target/assembly")).toAbsolutePath();
        assumeTrue(Files.isExecutable(assembly.resolve("bin/msb-server")),
            "the unpacked assembly is missing: " + assembly + " (run mvn package in distribution/)");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is missing (bin/msb-server needs it)");

        Path work = Files.createTempDirectory(assembly.getParent(), "it-");
        home = work.resolve("server");
        msbHome = work.resolve("msb-home");
        run(List.of("cp", "-a", assembly.toString(), home.toString()), Map.of());
        Runtime.getRuntime().addShutdownHook(new Thread(MsbServerIT::killServer));

        sshPort = freePort();
        sandboxSshPort = freePort();
        httpPort = freePort();
        Files.writeString(home.resolve("etc/io.msb.ssh.cfg"), "port = " + sandboxSshPort + "\n");
        Files.writeString(home.resolve("etc/io.msb.vmm.qemu.cfg"), "kernelBuild = manual\n"); // no kernel build (1901)
        setProperty(home.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(sshPort));
        setProperty(home.resolve("etc/org.apache.felix.http.cfg"), "org.osgi.service.http.port", Integer.toString(httpPort));
        setProperty(home.resolve("etc/system.properties"), "org.osgi.service.http.port", Integer.toString(httpPort));
        password = randomPassword();
        if (E2E) {
            // The kernel comes from the e2e tests' shared cache, so Debian's package is fetched once per machine.
            Path kernels = Path.of(System.getProperty("msb.e2e.kernelCache", System.getProperty("user.home") + "/.msb/kernel"));
            Files.createDirectories(kernels);
            Files.createDirectories(msbHome);
            Files.createSymbolicLink(msbHome.resolve("kernel"), kernels);
        }

        started = server("start");
    }

    @AfterAll
    static void stop() throws Exception {
        if (home == null) {
            return;
        }
        try {
            if (serverPid().isPresent()) {
                server("stop");
            }
        } finally {
            killServer();
            deleteTree(home.getParent());
        }
    }

    @Test
    @Order(1)
    void startWaitsUntilReady() {
        assertEquals(0, started.exit, started.output);
        assertTrue(started.output.contains("msb server ready"), started.output);
        assertTrue(Files.isDirectory(msbHome), "MSB_HOME was not created: " + msbHome);
    }

    @Test
    @Order(2)
    void clientAnswersMsbVersion() throws Exception {
        Result r = run(List.of(home.resolve("bin/client").toString(), "echo (msb:version)"), Map.of());
        assertEquals(0, r.exit, r.output);
        Matcher m = Pattern.compile("(?m)^msb (\\d+\\.\\d+\\.\\d+\\S*)\\s*$").matcher(r.output);
        assertTrue(m.find(), "msb:version answered: " + r.output);
        assertTrue(m.group(1).startsWith(System.getProperty("msb.version", "0.1.0").replace("-SNAPSHOT", "")),
            "unexpected version " + m.group(1));
    }

    @Test
    @Order(3)
    void runtimeKeepsItsStateInMsbHome() throws Exception {
        Result r = run(List.of(home.resolve("bin/client").toString(), "service:list io.msb.api.SandboxService"), Map.of());
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("msb.home = " + msbHome), "the runtime does not use MSB_HOME: " + r.output);
        assertFalse(r.output.contains("JAVA_HOME not set"), r.output);
    }

    @Test
    @Order(4)
    void statusReportsReady() throws Exception {
        Result r = server("status");
        assertEquals(0, r.exit, r.output);
        assertTrue(r.output.contains("running") && r.output.contains("ready"), r.output);
    }

    @Test
    @Order(5)
    void webConsoleLogsInKarafsGeneratedUser() throws Exception {
        URI bundles = URI.create("http://127.0.0.1:" + httpPort + "/system/console/bundles");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(bundles).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"),
            "no Basic challenge: " + anonymous.headers().map());
        assertEquals("", anonymous.body(), "a refusal tells nothing");

        assertEquals(401, get(http, bundles, "admin", "admin").statusCode(), "Felix's default password must not work");
        // the console's own user (its fallback without Karaf's JAAS) is not a login of this server
        assertEquals(401, get(http, bundles, "admin", password).statusCode());
        assertEquals(401, get(http, bundles, "karaf", password + "x").statusCode());
        assertEquals(401, get(http, bundles, "karaf", "x".repeat(4096)).statusCode(), "an oversized password");

        HttpResponse<String> karaf = get(http, bundles, "karaf", password);
        assertEquals(200, karaf.statusCode(), karaf.body());
        assertTrue(karaf.body().contains("io.msb.api"), "the bundle list does not show io.msb.api");
        assertTrue(karaf.body().contains("io.msb.webconsole.jaas"), "the JAAS login bundle is not installed");
    }

    /** A user of Karaf's realm without role admin is refused; users.properties is read at every login. */
    @Test
    @Order(5)
    void webConsoleRefusesAKarafUserWithoutTheAdminRole() throws Exception {
        URI bundles = URI.create("http://127.0.0.1:" + httpPort + "/system/console/bundles");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String viewerPassword = randomPassword();
        Files.writeString(home.resolve("etc/users.properties"), "\nwatcher = " + viewerPassword + ",viewer\n",
            StandardOpenOption.APPEND);
        HttpResponse<String> viewer = get(http, bundles, "watcher", viewerPassword);
        assertEquals(401, viewer.statusCode(), viewer.body());
        assertEquals("", viewer.body());
    }

    @Test
    @Order(6)
    void webConsoleShowsMsbComponentsAndTheirConfiguration() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String base = "http://127.0.0.1:" + httpPort + "/system/console/";

        HttpResponse<String> components = get(http, URI.create(base + "components"), "karaf", password);
        assertEquals(200, components.statusCode(), "no Components page (webconsole.plugins.ds)");
        assertTrue(components.body().contains("io.msb.runtime"), "io.msb.runtime is not among the components");

        // Metatype makes each component's configuration editable in the Configuration page.
        HttpResponse<String> config = get(http, URI.create(base + "configMgr"), "karaf", password);
        assertEquals(200, config.statusCode());
        for (String pid : List.of("io.msb.store", "io.msb.image", "io.msb.rootfs", "io.msb.vmm.qemu", "io.msb.runtime",
                "io.msb.volume", "io.msb.ssh")) {
            assertTrue(config.body().contains(pid), pid + " is not configurable in the Web Console");
        }
    }

    @Test
    @Order(7)
    void listensOnLoopbackOnly() throws Exception {
        Optional<Result> ss = tryRun(List.of("ss", "-Htln"));
        assumeTrue(ss.isPresent() && ss.get().exit == 0, "ss (iproute2) is missing");
        for (int port : new int[] {sshPort, sandboxSshPort, httpPort}) {
            List<String> local = new ArrayList<>();
            for (String line : ss.get().output.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[3].endsWith(":" + port)) {
                    local.add(f[3]);
                }
            }
            assertFalse(local.isEmpty(), "nothing listens on port " + port + ":\n" + ss.get().output);
            for (String address : local) {
                assertTrue(address.startsWith("127.0.0.1:") || address.startsWith("[::1]:")
                    || address.startsWith("[::ffff:127.0.0.1]:"), "port " + port + " is bound to " + address);
            }
        }
    }

    /** Decision 0411: another local user can read none of the server's state and cannot stop it. */
    @Test
    @Order(9)
    void anotherLocalUserCanNeitherReadNorStopTheServer() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")) && onPath("setpriv"),
            "switching to another user needs root and setpriv");
        // the test's own directory is 0700 (createTempDirectory): open it, or nothing inside could be reached
        Files.setPosixFilePermissions(home.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Result control = asNobody("test", "-r", home.resolve("bin/msb-server").toString());
        assertEquals(0, control.exit, "nobody cannot even reach the assembly, so the next check proves nothing: "
            + control.output);

        Result readable = asNobody("find", msbHome.toString(), home.resolve("data").toString(),
            home.resolve("etc").toString(), "-readable", "-print");
        assertEquals("", readable.output.lines().filter(l -> !l.contains("Permission denied")).reduce("",
            (a, b) -> a + b + "\n"), "readable by another user");
        assertTrue(Files.exists(msbHome.resolve("api-key")), "no api-key in MSB_HOME: the check above tested nothing");
        assertEquals(1, asNobody("cat", msbHome.resolve("api-key").toString()).exit);
        assertEquals(1, asNobody("cat", home.resolve("etc/users.properties").toString()).exit);

        // no shutdown port: the server listens on the SSH (console and sandboxes) and HTTP ports only
        assertFalse(Files.exists(home.resolve("data/port")), "a shutdown port file exists");
        long pid = serverPid().orElseThrow();
        Optional<Result> ss = tryRun(List.of("ss", "-Htlnp"));
        assumeTrue(ss.isPresent() && ss.get().exit == 0, "ss (iproute2) is missing");
        for (String line : ss.get().output.split("\n")) {
            if (line.contains("pid=" + pid + ",")) {
                String local = line.trim().split("\\s+")[3];
                int port = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1));
                assertTrue(port == sshPort || port == sandboxSshPort || port == httpPort,
                    "the server also listens on " + local);
            }
        }
        assertEquals(0, server("status").exit, "the server is no longer up");
    }

    private static Result asNobody(String... command) throws Exception {
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        argv.addAll(List.of(command));
        return run(argv, Map.of());
    }

    @Test
    @Order(8)
    void runsARealSandboxThroughTheConsole() throws Exception {
        assumeVmTools();

        // Gogo passes "--" through as the first command word; msb:run drops it.
        Result run = run(List.of(home.resolve("bin/client").toString(),
            "msb:run --rm builtin:busybox -- echo hello from a microVM"), Map.of());
        assertEquals(0, run.exit, run.output);
        assertTrue(run.output.contains("hello from a microVM"), "msb:run printed: " + run.output);

        Result ls = run(List.of(home.resolve("bin/client").toString(), "msb:ls"), Map.of());
        assertEquals(0, ls.exit, ls.output);
        assertTrue(ls.output.contains("NAME"), "msb:ls printed no table: " + ls.output);
        assertFalse(ls.output.contains("builtin:busybox"), "--rm left a sandbox: " + ls.output);
    }

    // ---- bin/msb, the CLI: it talks only HTTP to the server (decision 0011)

    @Test
    @Order(10)
    void cliReportsBothVersions() throws Exception {
        CliResult r = msb(Map.of(), "version");
        assertEquals(0, r.exit, r.output + r.errors);
        assertTrue(r.output.startsWith("msb client " + System.getProperty("msb.version", "0.1.0")), r.output);
        assertTrue(r.output.contains("\nmsb server "), r.output);
    }

    @Test
    @Order(11)
    void cliWritesAClassDataArchiveThatLaterRunsMap() throws Exception {
        // The first run starts the archive's training in the background; wait for it (bounded), then make
        // the JVM insist on sharing: -Xshare:on fails the run if the archive cannot be mapped.
        Path cache = home.getParent().resolve("cache/msb");
        for (int i = 0; i < 240 && !hasArchive(cache); i++) {
            Thread.sleep(500);
        }
        assertTrue(hasArchive(cache), "no cli-*.jsa in " + cache + " after 2 minutes");
        CliResult r = msb(Map.of("MSB_JAVA_OPTS", "-Xshare:on"), "version");
        assertEquals(0, r.exit, r.output + r.errors);
        assertTrue(r.output.contains("msb server "), r.output);
    }

    private static boolean hasArchive(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("cli-\\d+\\.jsa"));
        }
    }

    @Test
    @Order(12)
    void cliListsSandboxesAsJson() throws Exception {
        CliResult r = msb(Map.of(), "ls", "--json");
        assertEquals(0, r.exit, r.output + r.errors);
        assertTrue(r.output.trim().startsWith("[") && r.output.trim().endsWith("]"), "not a JSON array: " + r.output);
        CliResult table = msb(Map.of(), "ps");
        assertEquals(0, table.exit, table.output + table.errors);
        assertTrue(table.output.startsWith("NAME"), table.output);
    }

    @Test
    @Order(13)
    void cliWithAWrongKeyExits125AndSaysWhy() throws Exception {
        CliResult r = msb(Map.of("MSB_API_KEY", "msb_not-the-key"), "ls");
        assertEquals(125, r.exit, r.output + r.errors);
        assertTrue(r.errors.startsWith("msb: "), r.errors);
        assertTrue(r.errors.contains("MSB_API_KEY"), "the message does not say which key was refused: " + r.errors);
        assertEquals("", r.output);
    }

    @Test
    @Order(14)
    void cliRunsACommandInARealSandboxAndExitsWithItsStatus() throws Exception {
        assumeVmTools();
        CliResult hello = msb(Map.of(), "run", "--rm", "builtin:busybox", "--", "echo", "hello");
        assertEquals(0, hello.exit, hello.output + hello.errors);
        assertEquals("hello\n", hello.output);

        CliResult failing = msb(Map.of(), "run", "--rm", "builtin:busybox", "--", "sh", "-c", "echo err >&2; exit 3");
        assertEquals(3, failing.exit, failing.output + failing.errors);
        assertEquals("err\n", failing.errors);
        assertEquals("", failing.output);

        CliResult missing = msb(Map.of(), "run", "--rm", "builtin:busybox", "--", "no-such-command");
        assertEquals(127, missing.exit, missing.output + missing.errors);
        assertTrue(missing.errors.startsWith("msb: "), missing.errors);

        CliResult ls = msb(Map.of(), "ls", "--json");
        assertEquals(0, ls.exit, ls.errors);
        assertEquals("[ ]", ls.output.trim(), "--rm left a sandbox");
    }

    @Test
    @Order(15)
    void cliKeepsANamedSandboxForExecUntilRm() throws Exception {
        assumeVmTools();
        CliResult run = msb(Map.of(), "run", "--name", "kept", "builtin:busybox", "true");
        assertEquals(0, run.exit, run.output + run.errors);
        try {
            CliResult exec = msb(Map.of(), "exec", "kept", "--", "sh", "-c", "kill -TERM $$");
            assertEquals(128 + 15, exec.exit, exec.output + exec.errors);
            CliResult cat = msbWithInput("piped through\n", "exec", "-i", "kept", "cat");
            assertEquals(0, cat.exit, cat.output + cat.errors);
            assertEquals("piped through\n", cat.output);
            CliResult inspect = msb(Map.of(), "inspect", "kept");
            assertEquals(0, inspect.exit, inspect.errors);
            assertTrue(inspect.output.contains("\"status\" : \"running\""), inspect.output);
            CliResult rm = msb(Map.of(), "rm", "kept");
            assertEquals(125, rm.exit, "rm without -f removed a running sandbox: " + rm.output);
            assertTrue(rm.errors.contains("rm -f"), rm.errors);
        } finally {
            CliResult rm = msb(Map.of(), "rm", "-f", "kept");
            assertEquals(0, rm.exit, rm.output + rm.errors);
        }
        CliResult gone = msb(Map.of(), "inspect", "kept");
        assertEquals(125, gone.exit, gone.output);
    }

    @Test
    @Order(16)
    void cliCreatesRestartsKillsAndWaitsForASandbox() throws Exception {
        assumeVmTools();
        CliResult create = msb(Map.of(), "create", "--name", "life", "builtin:busybox");
        assertEquals(0, create.exit, create.output + create.errors);
        assertEquals("life\n", create.output);
        try {
            CliResult exec = msb(Map.of(), "exec", "life", "--", "echo", "created");
            assertEquals("created\n", exec.output, exec.errors);
            CliResult restart = msb(Map.of(), "restart", "life");
            assertEquals(0, restart.exit, restart.output + restart.errors);
            assertEquals("life\n", restart.output);
            CliResult kill = msb(Map.of(), "kill", "life");
            assertEquals(0, kill.exit, kill.output + kill.errors);
            CliResult waited = msb(Map.of(), "wait", "life");
            assertEquals(0, waited.exit, waited.output + waited.errors);
            assertEquals("stopped\n", waited.output);
            CliResult again = msb(Map.of(), "kill", "life");
            assertEquals(125, again.exit, again.output);
            assertEquals("msb: cannot kill sandbox life: it is stopped\n", again.errors);
        } finally {
            CliResult rm = msb(Map.of(), "rm", "-f", "life");
            assertEquals(0, rm.exit, rm.output + rm.errors);
        }
    }

    /** Ctrl-C is a real SIGINT to bin/msb's JVM (the script execs it) while the command runs in the guest. */
    @Test
    @Order(17)
    void cliRunRmInterruptedByCtrlCRemovesTheSandboxAndExits130() throws Exception {
        assumeVmTools();
        Path err = Files.createTempFile("msb-cli-", ".err");
        Process cli = cli(Map.of(), "run", "--rm", "--name", "interrupted", "builtin:busybox", "sleep", "600")
            .redirectOutput(new File("/dev/null")).redirectError(err.toFile()).start();
        try {
            while (cli.isAlive() && !msb(Map.of(), "ls", "-q").output.contains("interrupted")) {
                Thread.sleep(200);
            }
            String ignored = Files.readAllLines(Path.of("/proc/" + cli.pid() + "/status")).stream()
                .filter(l -> l.startsWith("SigIgn:")).findFirst().orElse("SigIgn: 0").substring(7).trim();
            assumeTrue((Long.parseLong(ignored, 16) & 2) == 0, "SIGINT is ignored in this process tree");
            assertEquals(0, run(List.of("kill", "-INT", Long.toString(cli.pid())), Map.of()).exit);
            assertTrue(cli.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS), "Ctrl-C did not end msb run");
            assertEquals(130, cli.exitValue(), Files.readString(err));
            assertFalse(msb(Map.of(), "ls", "-q").output.contains("interrupted"), "--rm left the sandbox after Ctrl-C");
        } finally {
            cli.destroyForcibly();
            Files.deleteIfExists(err);
            msb(Map.of(), "rm", "-f", "interrupted"); // only when the test failed is there anything to remove
        }
    }

    /** The checks of io.msb.health, by their hc.name. */
    private static final List<String> HEALTH_CHECKS = List.of("msb store", "msb VMM backend", "msb guest kernel and agentd",
        "msb free disk", "msb HTTP API");

    @Test
    @Order(18)
    void healthIsGreenAndNamesARemovedKernelFile() throws Exception {
        // A private copy of a fetched kernel's layout in MSB_HOME, so that removing its image touches no shared file.
        Path cache = Path.of(System.getProperty("msb.e2e.kernelCache", System.getProperty("user.home") + "/.msb/kernel"));
        Path fetched;
        try (Stream<Path> dirs = Files.list(cache)) {
            fetched = dirs.filter(d -> d.getFileName().toString().startsWith("linux-image-"))
                .filter(d -> Files.isRegularFile(d.resolve(".complete"))).findFirst().orElse(null);
        } catch (IOException e) {
            fetched = null;
        }
        assumeTrue(fetched != null, "no fetched guest kernel in " + cache + " (scripts/setup fetches one)");
        Path shared;
        try (Stream<Path> images = Files.list(fetched.resolve("boot"))) {
            shared = images.filter(f -> f.getFileName().toString().startsWith("vmlinuz-")).findFirst().orElseThrow();
        }
        Path kernels = msbHome.resolve("kernel");
        Path aside = msbHome.resolve("kernel.aside");
        boolean had = Files.exists(kernels, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (had) {
            Files.move(kernels, aside);
        }
        try {
            Path dir = kernels.resolve(fetched.getFileName());
            Files.createDirectories(dir.resolve("boot"));
            Files.createFile(dir.resolve(".complete"));
            Path image = Files.copy(shared, dir.resolve("boot").resolve(shared.getFileName()));

            HttpResponse<String> green = health(200);
            for (String check : HEALTH_CHECKS) {
                assertTrue(green.body().contains("{\"name\":\"" + check + "\",\"status\":\""), check + " is not listed: " + green.body());
            }
            assertTrue(json(green).contains("guest kernel: " + image), green.body());
            Result ok = server("status");
            assertEquals(0, ok.exit, ok.output);

            Path away = Files.move(image, image.resolveSibling(image.getFileName() + ".away"));
            HttpResponse<String> red = health(503);
            assertTrue(json(red).contains("\"name\":\"msb guest kernel and agentd\",\"status\":\"CRITICAL\""), red.body());
            assertTrue(json(red).contains("guest kernel is missing or unreadable: " + image), red.body());
            Result status = server("status");
            assertEquals(4, status.exit, status.output);
            assertTrue(status.output.contains("Overall Health Result: CRITICAL"), status.output);

            Files.move(away, image);
            assertTrue(json(health(200)).contains("guest kernel: " + image));
        } finally {
            deleteTree(kernels);
            if (had) {
                Files.move(aside, kernels);
            }
        }
    }

    @Test
    @Order(19)
    void statusPrintsEveryHealthCheck() throws Exception {
        Result r = server("status");
        assertTrue(r.exit == 0 || r.exit == 4, r.output);
        assertTrue(r.output.contains("and ready") && r.output.contains("Overall Health Result: "), r.output);
        for (String check : HEALTH_CHECKS) {
            assertTrue(r.output.contains(check), check + " missing from: " + r.output);
        }
        // This host's VMM backend: KVM, or the TCG fallback with its reason.
        assertTrue(r.output.contains("starts VMs with KVM") || r.output.contains("is usable (the first boot")
            || r.output.contains("under TCG emulation (much slower):"), r.output);
    }

    @Test
    @Order(19)
    void webConsoleShowsTheHealthChecksBehindItsLogin() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        URI page = URI.create("http://127.0.0.1:" + httpPort + "/system/console/healthcheck?tags=msb");
        assertEquals(401, http.send(HttpRequest.newBuilder(page).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpResponse<String> r = get(http, page, "karaf", password);
        assertEquals(200, r.statusCode(), "no Health Check page (felix healthcheck.webconsoleplugin)");
        for (String check : HEALTH_CHECKS) {
            assertTrue(r.body().contains(check), check + " is not on the console's Health Check page");
        }
    }

    /** GET /system/health (JSON, no login) until it answers {@code status}: results are cached for 2 s. */
    private static HttpResponse<String> health(int status) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/system/health")).build();
        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
        for (int i = 0; i < 40 && r.statusCode() != status; i++) {
            Thread.sleep(250);
            r = http.send(get, HttpResponse.BodyHandlers.ofString());
        }
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().map().toString());
        return r;
    }

    /** Felix's JSON escapes '/' as '\/'. */
    private static String json(HttpResponse<String> r) {
        return r.body().replace("\\/", "/");
    }

    @Test
    @Order(20)
    void stopEndsTheProcess() throws Exception {
        long pid = serverPid().orElseThrow(() -> new AssertionError("no server pid"));
        Result r = server("stop");
        assertEquals(0, r.exit, r.output);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
        Result status = server("status");
        assertEquals(3, status.exit, status.output);
    }

    @Test
    @Order(21)
    void statusOfAStoppedServerSaysSoWithoutHealth() throws Exception {
        Result status = server("status");
        assertEquals(3, status.exit, status.output);
        assertEquals("msb server is not running", status.output.strip());
    }

    // ---- helpers

    private static void assumeVmTools() {
        assumeTrue(E2E, "boots a VM: runs under -Pe2e only");
        for (String tool : List.of("qemu-system-x86_64", "mke2fs", "debugfs", "apt-get", "dpkg-deb")) {
            assumeTrue(onPath(tool), "running a sandbox needs " + tool + " on PATH");
        }
    }

    record CliResult(int exit, String output, String errors) {
    }

    private static CliResult msbWithInput(String input, String... args) throws Exception {
        Path in = Files.createTempFile("msb-cli-", ".in");
        try {
            Files.writeString(in, input);
            return msb(Map.of(), in.toFile(), args);
        } finally {
            Files.deleteIfExists(in);
        }
    }

    private static CliResult msb(Map<String, String> env, String... args) throws Exception {
        return msb(env, new File("/dev/null"), args);
    }

    /** Runs bin/msb against the test server, with stdout and stderr apart; {@code env} adds to the environment. */
    private static CliResult msb(Map<String, String> env, File stdin, String... args) throws Exception {
        Path out = Files.createTempFile("msb-cli-", ".out");
        Path err = Files.createTempFile("msb-cli-", ".err");
        try {
            ProcessBuilder pb = cli(env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(stdin);
            Process p = pb.start();
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(pb.command() + " did not finish within " + COMMAND_TIMEOUT + ":\n"
                    + Files.readString(out) + Files.readString(err));
            }
            return new CliResult(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** bin/msb with {@code args}, set up to talk to the test server; {@code env} adds to the environment. */
    private static ProcessBuilder cli(Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/msb").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("MSB_API_KEY");
        pb.environment().put("MSB_HOME", msbHome.toString());
        pb.environment().put("MSB_API_URL", "http://127.0.0.1:" + httpPort);
        pb.environment().put("XDG_CACHE_HOME", home.getParent().resolve("cache").toString());
        pb.environment().putAll(env);
        return pb;
    }

    private static HttpResponse<String> get(HttpClient http, URI uri, String user, String pw) throws Exception {
        String basic = Base64.getEncoder().encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Basic " + basic).build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static Result server(String verb) throws Exception {
        return run(List.of(home.resolve("bin/msb-server").toString(), verb),
            Map.of("MSB_HOME", msbHome.toString(), "MSB_ADMIN_PASSWORD", password, "MSB_START_TIMEOUT", "240"));
    }

    record Result(int exit, String output) {
    }

    private static Optional<Result> tryRun(List<String> command) throws Exception {
        try {
            return Optional.of(run(command, Map.of()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Runs a command with stdin that never ends (bin/client closes its channel on EOF). */
    private static Result run(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("msb-it-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(new File("/dev/zero"));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish within " + COMMAND_TIMEOUT + ":\n"
                    + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Optional<Long> serverPid() {
        try {
            Path pidFile = home.resolve("karaf.pid");
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(h -> pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void killServer() {
        serverPid().flatMap(ProcessHandle::of).ifPresent(h -> {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
            h.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join();
        });
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        return Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String randomPassword() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b).replace("-", "a").replace("_", "b");
    }

    /** Sets KEY in a Karaf .cfg/.properties file, replacing an existing assignment. */
    private static void setProperty(Path file, String key, String value) throws IOException {
        Pattern assignment = Pattern.compile("^\\s*" + Pattern.quote(key) + "\\s*[=:].*$");
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++) {
            if (assignment.matcher(lines.get(i)).matches()) {
                lines.set(i, key + " = " + value);
                replaced = true;
            }
        }
        if (!replaced) {
            lines.add(key + " = " + value);
        }
        Files.write(file, lines);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** On a failure, shows the end of Karaf's log: the server is deleted afterwards. */
    static class DumpLogOnFailure implements TestWatcher {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (home == null) {
                return;
            }
            Path log = home.resolve("data/log/karaf.log");
            try {
                List<String> lines = Files.readAllLines(log);
                System.err.println("--- " + log + " (last 60 lines)");
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
            } catch (IOException e) {
                System.err.println("no Karaf log at " + log);
            }
        }
    }
}
