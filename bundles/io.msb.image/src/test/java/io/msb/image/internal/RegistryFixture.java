package io.msb.image.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Debian's docker-registry (distribution 2.8), started on a free 127.0.0.1 port with its own storage. */
final class RegistryFixture implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/docker-registry");
    private final Process process;
    final int port;
    final Path storage;

    private RegistryFixture(Process process, int port, Path storage) {
        this.process = process;
        this.port = port;
        this.storage = storage;
    }

    static void assumeInstalled() {
        assumeTrue(Files.isExecutable(BINARY),
                "docker-registry is not installed (apt-get install docker-registry): registry tests skipped");
    }

    /** Starts a registry; {@code authYaml} is the {@code auth:} section (indented by two), or empty. */
    static RegistryFixture start(Path dir, String authYaml) throws Exception {
        return start(dir, authYaml, "");
    }

    /** A registry serving HTTPS with the given PEM certificate and key. */
    static RegistryFixture startTls(Path dir, Path cert, Path key) throws Exception {
        return start(dir, "", "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n");
    }

    private static RegistryFixture start(Path dir, String authYaml, String tlsYaml) throws Exception {
        assumeInstalled();
        int port = freePort();
        Path storage = Files.createDirectories(dir.resolve("registry-storage"));
        String yaml = """
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                  secret: msb-image-tests
                %shealth:
                  storagedriver:
                    enabled: false
                %s""".formatted(storage, port, tlsYaml, authYaml.isEmpty() ? "" : "auth:\n" + authYaml);
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, yaml);
        Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        RegistryFixture r = new RegistryFixture(p, port, storage);
        r.awaitReady(dir, !tlsYaml.isEmpty());
        return r;
    }

    String host() {
        return "127.0.0.1:" + port;
    }

    /** The file the registry serves a blob from, for corrupting it on purpose. */
    Path blobData(String digest) {
        String hex = Digests.hex(digest);
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    private void awaitReady(Path dir, boolean tls) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 0; i < 200; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited: " + Files.readString(dir.resolve("registry.log")));
            }
            try {
                HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200 || r.statusCode() == 401 || (tls && r.statusCode() == 400)) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("docker-registry did not answer on " + host());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
