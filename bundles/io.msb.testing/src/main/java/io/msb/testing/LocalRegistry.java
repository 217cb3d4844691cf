package io.msb.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry (distribution 2.8, {@code apt-get install docker-registry}) serving plain HTTP on a free
 * 127.0.0.1 port, storing under a directory of the caller's: the registry e2e tests and benchmarks pull from.
 * Push to it with e.g. {@code skopeo copy --dest-tls-verify=false oci:LAYOUT:TAG docker://HOST/REPO:TAG}.
 */
public final class LocalRegistry implements AutoCloseable {
    /** Where Debian installs the registry. */
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private final Process process;
    private final int port;

    private LocalRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts a registry keeping its configuration, log and storage under {@code dir}; returns once it listens. */
    public static LocalRegistry start(Path dir) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing (apt-get install docker-registry)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("registry.yml");
        Path log = dir.resolve("registry.log");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: error
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: 127.0.0.1:%d
                """.formatted(Files.createDirectories(dir.resolve("registry")), port));
        Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        LocalRegistry r = new LocalRegistry(p, port);
        for (int i = 0; i < 400; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return r;
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("docker-registry exited: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }
        r.close();
        throw new IllegalStateException("docker-registry did not listen on 127.0.0.1:" + port);
    }

    /** {@code 127.0.0.1:PORT}, the registry part of an image reference. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
