package io.msb.protocol;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real guest agent binary as a host process (stdio or a UNIX socket); public for the internal tests. */
public final class Agentd implements AutoCloseable {
    public static final AgentClient.Options OPTIONS = new AgentClient.Options(Duration.ofSeconds(20), Duration.ofSeconds(60), 16);
    public final Process process;
    final Path stderr;

    private Agentd(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
    }

    public static Path binary() {
        String p = System.getProperty("msb.agentd");
        assumeTrue(p != null, "system property msb.agentd (the agentd binary) is not set");
        Path bin = Path.of(p);
        assumeTrue(Files.isExecutable(bin), "agentd binary missing: " + bin + " (build native/agentd)");
        return bin;
    }

    public static Agentd start(Path dir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary().toString());
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(dir, "agentd", ".stderr");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        return new Agentd(p, err);
    }

    /** An agent on stdin/stdout and a client talking to it directly. */
    static AgentClient stdio(Path dir) throws IOException {
        Agentd a = start(dir, "--stdio");
        return AgentClient.connect(AgentTransport.of(a.process), OPTIONS);
    }

    /** An agent serving a UNIX socket; waits until the socket exists. */
    static Agentd listen(Path socket, String... extra) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--listen", socket.toString()));
        args.addAll(List.of(extra));
        Agentd a = start(socket.getParent(), args.toArray(String[]::new));
        // the file appears at bind(), a connect before listen() is refused: wait until the kernel lists it listening
        for (int i = 0; i < 500 && !listening(socket) && a.process.isAlive(); i++) {
            Thread.sleep(10);
        }
        if (!listening(socket)) {
            throw new IOException("agentd did not listen on " + socket + ": " + Files.readString(a.stderr));
        }
        return a;
    }

    /** Whether /proc/net/unix has {@code socket} with __SO_ACCEPTCON (00010000) in its flags, i.e. listen() ran. */
    private static boolean listening(Path socket) throws IOException {
        try (var lines = Files.lines(Path.of("/proc/net/unix"))) {
            return lines.map(l -> l.trim().split("\\s+"))
                    .anyMatch(f -> f.length >= 8 && f[7].equals(socket.toString()) && f[3].equals("00010000"));
        }
    }

    String stderrText() throws IOException {
        return Files.readString(stderr);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
