package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * msb in a stock Apache Karaf (issue 18, item 6): the build's {@code apache-karaf} archive, not our distribution,
 * unpacked under target/, resolving our artifacts from this build's Maven local repository only. Through
 * {@code bin/client}: {@code feature:repo-add} of our features, {@code feature:install msb msb-webconsole}, every
 * io.msb bundle Active, a real sandbox echoes; the Web Console logs in Karaf's admin user and no other; nothing of
 * the server listens beyond the loopback. One Karaf for the whole class.
 */
class StockKarafIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void msbRunsInAStockKarafWithTheConsoleBehindKarafsLogin() throws Exception {
        Path archive = Path.of(System.getProperty("msb.e2e.karafArchive", ""));
        assumeTrue(Files.isRegularFile(archive), "no stock Karaf archive (org.apache.karaf:apache-karaf:tar.gz): " + archive);
        Path repo = Path.of(System.getProperty("msb.e2e.localRepository", ""));
        assumeTrue(Files.isDirectory(repo.resolve("io/msb/msb-features")),
                "the Maven local repository holds no io.msb:msb-features (mvn install first): " + repo);
        long t0 = System.nanoTime();
        try (StockKaraf karaf = StockKaraf.unpack(archive, repo)) {
            karaf.start();
            String version = System.getProperty("msb.e2e.version", "0.1.0-SNAPSHOT");
            karaf.client("feature:repo-add mvn:io.msb/msb-features/" + version + "/xml/features");

            long install = System.nanoTime();
            karaf.client("feature:install msb msb-webconsole");
            List<String> bundles = karaf.msbBundlesOnceActive();
            long active = System.nanoTime();
            assertTrue(bundles.contains("io.msb.runtime") && bundles.contains("io.msb.webconsole.jaas"),
                    "io.msb bundles: " + bundles);

            String echo = karaf.client("msb:run --rm builtin:busybox -- echo hi-from-stock-karaf");
            long echoed = System.nanoTime();
            assertTrue(echo.contains("hi-from-stock-karaf"), echo);

            karaf.checkConsoleLogin(bundles.contains("io.msb.webconsole"));
            karaf.checkListensOnLoopbackOnly();

            System.out.printf("StockKarafIT: feature:install to all %d io.msb bundles Active %d ms, to the first echo"
                    + " %d ms; whole test %d ms%n", bundles.size(), (active - install) / 1_000_000,
                    (echoed - install) / 1_000_000, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** One stock Karaf under target/, its ports free loopback ones, its MSB_HOME linked to the kernel cache. */
    private static final class StockKaraf implements AutoCloseable {
        private final Path work;
        private final Path karaf;
        private final Path msbHome;
        private final int sshPort;
        private final int httpPort;
        private final int sandboxSshPort;
        private final String password = secret();
        private final String viewerPassword = secret();

        private StockKaraf(Path work, Path karaf, Path msbHome) throws IOException {
            this.work = work;
            this.karaf = karaf;
            this.msbHome = msbHome;
            this.sshPort = freePort();
            this.httpPort = freePort();
            this.sandboxSshPort = freePort();
        }

        static StockKaraf unpack(Path archive, Path repo) throws IOException, InterruptedException {
            Files.createDirectories(Path.of("target"));
            Path work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "stock-karaf-");
            // short, under /tmp: the VMs' unix sockets live in MSB_HOME and their paths are limited to 108 bytes
            Path msbHome = Files.createTempDirectory("msb-sk-");
            Files.createDirectories(Platform.kernelCache());
            Files.createSymbolicLink(msbHome.resolve("kernel"), Platform.kernelCache());
            HostCommand.check(work, List.of("tar", "xzf", archive.toString()), Map.of());
            Path karaf = work.resolve("apache-karaf-4.4.10");
            assertTrue(Files.isExecutable(karaf.resolve("bin/karaf")), "not a Karaf 4.4.10 archive: " + archive);
            StockKaraf k = new StockKaraf(work, karaf, msbHome);
            k.configure(repo);
            return k;
        }

        /** What a test run needs (its ports, its users, Maven artifacts from this build alone) and the README's advice. */
        private void configure(Path repo) throws IOException {
            set("org.apache.karaf.shell.cfg", "sshPort", Integer.toString(sshPort));
            // the README's two settings: Karaf's SSH not on all interfaces, and a console that waits for the JAAS login
            set("org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1");
            Files.writeString(etc("system.properties"), "\nfelix.webconsole.security.providers = msb-jaas\n",
                    StandardOpenOption.APPEND);
            set("org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(freePort()));
            set("org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(freePort()));
            set("org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", repo.toString());
            set("org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories", ""); // never reaches out
            // msb-http's own config would bind 127.0.0.1:5555; a file already there wins over a feature's config
            Files.writeString(etc("org.apache.felix.http.cfg"), String.join("\n",
                    "org.apache.felix.http.host = 127.0.0.1", "org.osgi.service.http.port = " + httpPort,
                    "org.apache.felix.http.enable = true", "org.apache.felix.https.enable = false",
                    "org.apache.felix.jetty.websocket.enable = true", ""));
            Files.writeString(etc("io.msb.ssh.cfg"), "port = " + sandboxSshPort + "\n");
            // stock 4.4 ships no users: an administrator (admingroup: role admin) and one with role viewer only
            Files.writeString(etc("users.properties"), "\nops = " + password + ",_g_:admingroup\n"
                    + "_g_\\:admingroup = group,admin,manager,viewer,systembundles,ssh\n"
                    + "watcher = " + viewerPassword + ",viewer\n", StandardOpenOption.APPEND);
        }

        void start() throws IOException, InterruptedException {
            HostCommand.check(karaf, List.of(karaf.resolve("bin/start").toString()), env());
        }

        /** A console command through {@code bin/client} as ops, retried while the SSH server comes up. */
        String client(String command) throws IOException, InterruptedException {
            HostCommand.Result r = HostCommand.run(karaf, List.of("sh", "-c",
                    "exec \"$0\" -h 127.0.0.1 -a \"$1\" -u ops -p \"$2\" -r 60 -d 1 \"$3\" < /dev/zero",
                    karaf.resolve("bin/client").toString(), Integer.toString(sshPort), password, command), env());
            // the client exits 0 even when a command fails: Karaf prints its errors
            if (r.exit() != 0 || r.output().contains("Error executing command")) {
                throw new AssertionError(command + " exited " + r.exit() + ":\n" + r.output() + "\n" + logTail());
            }
            return r.output();
        }

        /** The symbolic names of the io.msb bundles once each is Active; fails with the list if that takes too long. */
        List<String> msbBundlesOnceActive() throws IOException, InterruptedException {
            Pattern row = Pattern.compile("(?m)^\\s*\\d+\\s*[│\\t]\\s*(\\w+)\\s*[│\\t].*[│\\t]\\s*(io\\.msb\\.[\\w.]+)\\s*$");
            long deadline = System.nanoTime() + WAIT.toNanos();
            String list = "";
            while (System.nanoTime() < deadline) {
                list = client("bundle:list -s -t 0 --no-format");
                List<String> names = new ArrayList<>();
                boolean allActive = true;
                for (Matcher m = row.matcher(list); m.find(); ) {
                    names.add(m.group(2));
                    allActive &= m.group(1).equals("Active");
                }
                if (!names.isEmpty() && allActive) {
                    return names;
                }
                Thread.sleep(250);
            }
            throw new AssertionError("io.msb bundles not all Active after " + WAIT + ":\n" + list + "\n" + logTail());
        }

        /** ops (admingroup) gets in; a wrong password, a user without role admin and no credentials get 401. */
        void checkConsoleLogin(boolean msbPluginInstalled) throws IOException, InterruptedException {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            URI bundles = URI.create("http://127.0.0.1:" + httpPort + "/system/console/bundles");
            HttpResponse<String> ok = get(http, bundles, "ops", password);
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().contains("io.msb.webconsole.jaas"), "the bundle list misses io.msb.webconsole.jaas");
            if (msbPluginInstalled) { // io.msb.webconsole (the Sandboxes page) where that bundle exists
                HttpResponse<String> page = get(http, URI.create("http://127.0.0.1:" + httpPort + "/system/console/msb"),
                        "ops", password);
                assertEquals(200, page.statusCode(), page.body());
            }
            assertRefused(get(http, bundles, "ops", password + "x"));
            assertRefused(get(http, bundles, "watcher", viewerPassword));
            assertRefused(get(http, bundles, "admin", "admin"));
            assertRefused(http.send(HttpRequest.newBuilder(bundles).build(), HttpResponse.BodyHandlers.ofString()));
        }

        private static void assertRefused(HttpResponse<String> r) {
            assertEquals(401, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic "), r.headers().map().toString());
        }

        /** Every TCP socket the Karaf JVM listens on is bound to the loopback; msb's HTTP and SSH among them. */
        void checkListensOnLoopbackOnly() throws IOException, InterruptedException {
            HostCommand.Result ss = HostCommand.run(karaf, List.of("ss", "-Htlnp"), Map.of());
            assumeTrue(ss.exit() == 0, "ss (iproute2) is missing or failed: " + ss.output());
            String pid = "pid=" + Files.readString(karaf.resolve("karaf.pid")).trim() + ",";
            List<String> ours = ss.output().lines().filter(l -> l.contains(pid)).toList();
            assumeTrue(!ours.isEmpty(), "ss shows no process of its sockets (not allowed to see them): " + ss.output());
            Pattern local = Pattern.compile("^\\S+\\s+\\d+\\s+\\d+\\s+(\\S+):(\\d+)\\s");
            List<Integer> ports = new ArrayList<>();
            for (String line : ours) {
                Matcher m = local.matcher(line);
                assertTrue(m.find(), "unexpected ss line: " + line);
                String address = m.group(1);
                assertTrue(address.equals("127.0.0.1") || address.equals("[::1]") || address.equals("[::ffff:127.0.0.1]"),
                        "the server listens beyond the loopback: " + line);
                ports.add(Integer.parseInt(m.group(2)));
            }
            assertTrue(ports.containsAll(List.of(httpPort, sandboxSshPort, sshPort)),
                    "HTTP " + httpPort + ", msb-ssh " + sandboxSshPort + " and Karaf's SSH " + sshPort + " among " + ours);
        }

        private Map<String, String> env() {
            return Map.of("JAVA_HOME", System.getProperty("java.home"), "MSB_HOME", msbHome.toString());
        }

        private Path etc(String name) {
            return karaf.resolve("etc").resolve(name);
        }

        /** Sets {@code key} in a Karaf .cfg file, replacing its assignment (and continuation lines) there. */
        private void set(String file, String key, String value) throws IOException {
            List<String> out = new ArrayList<>();
            boolean continuation = false;
            for (String line : Files.readAllLines(etc(file))) {
                String l = line.strip();
                boolean ours = continuation || l.matches(Pattern.quote(key) + "\\s*[=:].*");
                if (ours) {
                    continuation = l.endsWith("\\");
                } else {
                    out.add(line);
                }
            }
            out.add(key + " = " + value);
            Files.write(etc(file), out);
        }

        private String logTail() {
            return MsbServer.logTail(karaf);
        }

        /** bin/stop, then SIGKILL for whatever is left after 30 s; the copy and MSB_HOME are deleted. */
        @Override
        public void close() throws Exception {
            try {
                Path pidFile = karaf.resolve("karaf.pid");
                if (Files.exists(pidFile)) {
                    var jvm = ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()));
                    HostCommand.run(karaf, List.of(karaf.resolve("bin/stop").toString()), env());
                    if (jvm.isPresent()) {
                        try {
                            jvm.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (java.util.concurrent.TimeoutException e) {
                            jvm.get().descendants().forEach(ProcessHandle::destroyForcibly);
                            jvm.get().destroyForcibly();
                            jvm.get().onExit().join();
                        }
                    }
                }
            } finally {
                HostCommand.delete(work);
                HostCommand.delete(msbHome);
            }
        }

        private static HttpResponse<String> get(HttpClient http, URI uri, String user, String pw)
                throws IOException, InterruptedException {
            String basic = Base64.getEncoder().encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8));
            return http.send(HttpRequest.newBuilder(uri).header("Authorization", "Basic " + basic).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        private static String secret() {
            byte[] b = new byte[12];
            new SecureRandom().nextBytes(b);
            return HexFormat.of().formatHex(b);
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
    }
}
