package io.msb.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The msb server as users run it: the distribution archive unpacked into a temporary directory and started with
 * {@code bin/msb-server start} on free loopback ports, with its own MSB_HOME whose {@code kernel} links to the shared
 * kernel cache. {@link #close()} removes every sandbox through the API, stops the server and deletes it all.
 */
final class MsbServer implements AutoCloseable {
    final Path home;
    final String url;
    final String apiKey;
    private final Path work;
    private final Path server;
    private final int sshPort;

    private MsbServer(Path work, Path server, Path home, String url, String apiKey, int sshPort) {
        this.work = work;
        this.server = server;
        this.home = home;
        this.url = url;
        this.apiKey = apiKey;
        this.sshPort = sshPort;
    }

    /** The archive this build made ({@code -Dmsb.e2e.distribution}), started with the shared kernel cache. */
    static MsbServer startBuilt() throws IOException, InterruptedException {
        return startBuilt(Map.of());
    }

    /** {@link #startBuilt()} with these files written into the server's {@code etc/} first (name to content). */
    static MsbServer startBuilt(Map<String, String> etc) throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("msb.e2e.distribution", ""));
        if (!Files.isRegularFile(archive)) {
            throw new IOException("no server archive (io.msb:msb-distribution:tar.gz): " + archive);
        }
        return start(archive, Platform.kernelCache(), etc);
    }

    /** Unpacks {@code archive} (msb-distribution-*.tar.gz) and starts it; fails with the server's output if it cannot. */
    static MsbServer start(Path archive, Path kernels) throws IOException, InterruptedException {
        return start(archive, kernels, Map.of());
    }

    private static MsbServer start(Path archive, Path kernels, Map<String, String> etc)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("msb-srv-"); // short: unix socket paths are limited to 108 bytes
        Path home = work.resolve("home");
        Files.createDirectories(home);
        Files.createDirectories(kernels);
        Files.createSymbolicLink(home.resolve("kernel"), kernels);
        HostCommand.check(work, List.of("tar", "xzf", archive.toString()), Map.of()); // tar keeps bin/'s modes
        Path server;
        try (var top = Files.list(work)) {
            server = top.filter(p -> p.getFileName().toString().startsWith("msb-distribution")).findFirst()
                    .orElseThrow(() -> new IOException(archive + " has no msb-distribution-* directory"));
        }
        int http = freePort();
        int ssh = freePort();
        setProperty(server.resolve("etc/org.apache.karaf.shell.cfg"), "sshPort", ssh);
        // the SSH endpoint into sandboxes (msb-ssh) too, so that servers of parallel runs do not contend for 2222
        Files.writeString(server.resolve("etc/io.msb.ssh.cfg"), "port = " + freePort() + "\n");
        setProperty(server.resolve("etc/org.apache.felix.http.cfg"), "org.osgi.service.http.port", http);
        setProperty(server.resolve("etc/system.properties"), "org.osgi.service.http.port", http);
        // a test never starts a guest kernel build (decision 1901); a test's own file for the backend replaces this
        Files.writeString(server.resolve("etc/io.msb.vmm.qemu.cfg"), "kernelBuild = manual\n");
        for (Map.Entry<String, String> file : etc.entrySet()) {
            Files.writeString(server.resolve("etc").resolve(file.getKey()), file.getValue());
        }
        try {
            String started = control(server, home, "start");
            return new MsbServer(work, server, home, "http://127.0.0.1:" + http, readKey(home, started), ssh);
        } catch (IOException | InterruptedException | RuntimeException e) {
            discard(work, server);
            throw e;
        }
    }

    private static String readKey(Path home, String startOutput) throws IOException {
        Path key = home.resolve("api-key");
        if (!Files.exists(key)) {
            throw new IOException("the server wrote no " + key + ":\n" + startOutput);
        }
        return Files.readString(key).trim();
    }

    /** {@code bin/msb-server verb}; its output, or an error with it when it fails. */
    private static String control(Path server, Path home, String verb) throws IOException, InterruptedException {
        return HostCommand.check(server, List.of(server.resolve("bin/msb-server").toString(), verb), Map.of(
                "MSB_HOME", home.toString(), "JAVA_HOME", System.getProperty("java.home"),
                "MSB_START_TIMEOUT", "240"));
    }

    /**
     * Runs a Karaf console command ({@code bundle:stop io.msb.vmm.qemu}) through the distribution's
     * {@code bin/client} on the server's SSH port, as an administrator would; its output, or an error with it. The
     * client's stdin must not be at its end, or it closes the channel before the command ran.
     */
    String console(String command) throws IOException, InterruptedException {
        return HostCommand.check(server, List.of("sh", "-c", "exec \"$0\" -h 127.0.0.1 -a \"$1\" \"$2\" < /dev/zero",
                bin("client").toString(), Integer.toString(sshPort), command),
                Map.of("JAVA_HOME", System.getProperty("java.home")));
    }

    /** Kills the server's JVM with SIGKILL (what a crash does): its detached VMs run on. */
    void killServer() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(server.resolve("karaf.pid")).trim());
        ProcessHandle jvm = ProcessHandle.of(pid).orElseThrow(() -> new IOException("no server process " + pid));
        jvm.destroyForcibly();
        jvm.onExit().join();
    }

    /** {@code bin/msb-server stop}: the server ends, its detached VMs run on; {@link #startAgain()} brings it back. */
    void stopServer() throws IOException, InterruptedException {
        control(server, home, "stop");
    }

    /** The Web Console's user and password. */
    /** A file of the server's {@code etc/}. */
    Path etc(String name) {
        return server.resolve("etc").resolve(name);
    }

    /** A user name and password. */
    record Login(String user, String password) {
    }

    /**
     * The Web Console's login: Karaf's user {@code karaf} (decisions 1890, 1891), whose password {@code bin/msb-server}
     * wrote into {@code etc/users.properties} on first start.
     */
    Login webConsoleLogin() throws IOException {
        Pattern karaf = Pattern.compile("^\\s*karaf\\s*=\\s*([^,]*),.*");
        for (String line : Files.readAllLines(etc("users.properties"))) {
            var m = karaf.matcher(line);
            if (m.matches()) {
                return new Login("karaf", m.group(1).strip());
            }
        }
        throw new IOException("no user karaf in " + etc("users.properties"));
    }

    /** The server's {@code deploy/}: a bundle copied there is installed and started, one deleted is uninstalled. */
    Path deploy() {
        return server.resolve("deploy");
    }

    /** {@code bin/msb-server start} again, on the same home and ports; returns once it is ready. */
    void startAgain() throws IOException, InterruptedException {
        control(server, home, "start");
    }

    /** A program of the distribution's {@code bin/}, e.g. the CLI {@code msb}. */
    Path bin(String program) {
        return server.resolve("bin").resolve(program);
    }

    /** {@code bin/msb ARGS} against this server, in the current directory. */
    HostCommand.Result msb(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(bin("msb").toString()));
        command.addAll(List.of(args));
        return HostCommand.run(Path.of("."), command, cliEnv());
    }

    /** {@link #msb}, which must exit 0: otherwise an AssertionError with its output and the server log's tail. */
    HostCommand.Result msbOk(String... args) throws IOException, InterruptedException {
        HostCommand.Result r = msb(args);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", args) + " exited " + r.exit() + ":\n" + r.output() + "\n"
                    + logTail());
        }
        return r;
    }

    /** What {@code bin/msb} needs to talk to this server. */
    Map<String, String> cliEnv() {
        return Map.of("MSB_API_URL", url, "MSB_API_KEY", apiKey, "JAVA_HOME", System.getProperty("java.home"));
    }

    /** The end of the server's log, for a failure's message. */
    String logTail() {
        return logTail(server);
    }

    /** The end of the log of the Karaf in {@code karafHome} (this server's, or StockKarafIT's), for a failure's message. */
    static String logTail(Path karafHome) {
        try {
            List<String> lines = Files.readAllLines(karafHome.resolve("data/log/karaf.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no karaf.log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        try {
            removeSandboxes();
            control(server, home, "stop");
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("stopping the msb server in " + work + ": " + e);
        } finally {
            discard(work, server);
        }
    }

    /** Kills what is left of the server process and deletes its copy and home. */
    private static void discard(Path work, Path server) {
        killLeftover(server);
        try {
            HostCommand.delete(work);
        } catch (IOException e) {
            System.err.println("cannot remove " + work + ": " + e);
        }
    }

    /** Whatever a failed script left: removed through the API, so their VMs end too. */
    private void removeSandboxes() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        HttpResponse<String> list = http.send(request("GET", "/v1/sandboxes?limit=100").build(),
                HttpResponse.BodyHandlers.ofString());
        for (JsonNode sandbox : json.readTree(list.body()).path("data")) {
            http.send(request("DELETE", "/v1/sandboxes/" + sandbox.path("id").asText()).build(),
                    HttpResponse.BodyHandlers.discarding());
        }
    }

    HttpRequest.Builder request(String method, String path) {
        return request(method, path, HttpRequest.BodyPublishers.noBody());
    }

    private HttpRequest.Builder request(String method, String path, HttpRequest.BodyPublisher body) {
        return HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(2))
                .header("Authorization", "Bearer " + apiKey).method(method, body);
    }

    /** One API call with a JSON body (null: none), as the SDK makes it. */
    HttpResponse<String> api(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder r = json == null ? request(method, path)
                : request(method, path, HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json");
        return HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void killLeftover(Path server) {
        try {
            Path pid = server.resolve("karaf.pid");
            if (Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
        } catch (IOException | NumberFormatException e) {
            System.err.println("msb server pid: " + e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Sets {@code key} in a Karaf .cfg/.properties file, replacing an assignment there. */
    private static void setProperty(Path file, String key, int value) throws IOException {
        Pattern assignment = Pattern.compile(Pattern.quote(key) + "\\s*[=:].*");
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.removeIf(l -> assignment.matcher(l.strip()).matches());
        lines.add(key + " = " + value);
        Files.write(file, lines);
    }
}
