package io.msb.cli.internal;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What bin/msb runs once, in the background, with {@code -XX:ArchiveClassesAtExit}: it loads the classes
 * a real command loads (argument parsing, JSON both ways, the exec stream, HTTP), without a server, so
 * the archive it leaves makes later commands start faster (decision 1023).
 */
final class CdsTraining {
    private CdsTraining() {
    }

    static void run() throws IOException {
        OutputStream sink = new ByteArrayOutputStream();
        Cli cli = new Cli(sink, sink, new ByteArrayInputStream(new byte[0]), Map.of(), null);
        Main.run(new String[] {"--help"}, cli); // the whole tree
        Main.run(new String[] {"run", "--help"}, cli); // a one-command tree (decision 1961)
        Main.commandLine(cli, new String[] {"exec"}).parseArgs("exec", "box", "--", "true");
        Main.commandLine(cli, new String[] {"ls"}).parseArgs("ls", "-q");
        Main.run(new String[] {"run", "--cpus", "x", "img", "true"}, cli); // a usage error: never reaches HTTP
        RunCommand run = (RunCommand) Main.commandLine(cli).parseArgs("run", "-e", "A=1", "-m", "1G", "-c", "1", "img", "true")
            .subcommand().commandSpec().userObject();
        byte[] body = cli.json().writeValueAsBytes(run.spec());
        cli.json().writeValueAsBytes(run.process.execBody(cli, run.command()));
        ListCommand.table(JsonTree.read("[{\"name\":\"a\",\"status\":\"running\",\"spec\":{\"image\":\"b\"}}]".getBytes(StandardCharsets.UTF_8)));
        JsonTree.write(run.process.execBody(cli, run.command()));
        cli.json().writerWithDefaultPrettyPrinter().writeValueAsString(cli.json().readTree(body));
        String events = "{\"type\":\"started\",\"pid\":1}\n{\"type\":\"stdout\",\"data\":\"aGk=\"}\n"
            + "{\"type\":\"exit\",\"code\":0,\"signal\":0}\n";
        new ExecStream().play(new ByteArrayInputStream(events.getBytes(StandardCharsets.UTF_8)), sink, sink);
        // Commands through ApiClient up to the connect, the key read from a file as bin/msb's users have it;
        // port 1 on loopback refuses at once.
        Path home = Files.createTempDirectory("msb-cds-training");
        try {
            Files.writeString(home.resolve("api-key"), "training");
            Cli offline = new Cli(sink, sink, new ByteArrayInputStream(new byte[0]),
                Map.of("MSB_API_URL", "http://127.0.0.1:1", "MSB_HOME", home.toString()), null);
            Main.run(new String[] {"ls"}, offline);
            Main.run(new String[] {"version"}, offline);
            Main.run(new String[] {"exec", "box", "--", "true"}, offline);
        } finally {
            Files.deleteIfExists(home.resolve("api-key"));
            Files.delete(home);
        }
        answered(sink);
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:1/v1/version").toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setRequestProperty("Accept", "application/json");
        try {
            c.getResponseCode();
        } catch (IOException expected) {
            // nothing listens there
        }
    }

    /**
     * {@code ls} and {@code exec} as they run without picocli (decision 1963), answered by a loopback socket the way
     * the server answers them (a JSON body with its length; a chunked NDJSON stream), so the classes that read an
     * answer are archived too (decision 1965).
     */
    private static void answered(OutputStream sink) throws IOException {
        String list = "{\"data\":[{\"name\":\"box\",\"status\":\"running\",\"created_at\":\"2026-01-01T00:00:00.1Z\","
            + "\"spec\":{\"image\":\"builtin:busybox\",\"resources\":{\"vcpus\":1,\"memory_mib\":512}},"
            + "\"backend\":\"qemu\",\"backend_available\":true,\"stopped_at\":null}],\"has_more\":false}";
        String events = "{\"type\":\"started\",\"pid\":1}\n{\"type\":\"exit\",\"code\":0,\"signal\":0}\n";
        try (ServerSocket server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> {
                for (String answer : new String[] {json(list), ndjson(events)}) {
                    try (Socket s = server.accept()) {
                        BufferedReader request = new BufferedReader(new InputStreamReader(s.getInputStream(),
                            StandardCharsets.ISO_8859_1));
                        int length = 0;
                        for (String h = request.readLine(); h != null && !h.isEmpty(); h = request.readLine()) {
                            if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                                length = Integer.parseInt(h.substring(15).strip());
                            }
                        }
                        request.skip(length);
                        s.getOutputStream().write(answer.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException | RuntimeException e) {
                        try {
                            server.close(); // a connection not yet accepted is reset: the command fails, never waits
                        } catch (IOException ignored) {
                            // closed already
                        }
                        return;
                    }
                }
            }, "msb-cds-training");
            answering.setDaemon(true);
            answering.start();
            Cli cli = new Cli(sink, sink, new ByteArrayInputStream(new byte[0]),
                Map.of("MSB_API_URL", "http://127.0.0.1:" + server.getLocalPort(), "MSB_API_KEY", "training"), null);
            Main.run(new String[] {"ls"}, cli);
            Main.run(new String[] {"exec", "box", "--", "true"}, cli);
        }
    }

    private static String json(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    private static String ndjson(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Integer.toHexString(body.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + body + "\r\n0\r\n\r\n";
    }
}
