package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * msb image load of a file the server will not take: the CLI announces its length and waits for 100 Continue, so the
 * server's 413 arrives before the bytes go and the user reads what it means, not a broken pipe. A raw socket plays
 * the server: the JDK's HttpServer sends 100 Continue by itself.
 */
class UploadRefusedTest {
    @TempDir
    Path dir;

    @Test
    void aLoadRefusedForItsSizeShowsTheServersMessageWithoutSendingTheArchive() throws Exception {
        Path big = dir.resolve("big.tar");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(64L << 20); // sparse: never read, the server refuses first
        }
        String answer = "{\"error\":{\"code\":\"invalid_request\",\"message\":\"request body: an image archive must be at "
            + "most 1048576 bytes (maxImageArchiveMib of io.msb.http)\"}}";
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> head = CompletableFuture.supplyAsync(() -> refuse(server, answer));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(new String[] {"image", "load", "-i", big.toString()}, new Cli(out, err,
                new ByteArrayInputStream(new byte[0]), Map.of("MSB_API_URL", "http://127.0.0.1:" + server.getLocalPort(),
                    "MSB_API_KEY", "k"), null));
            assertEquals(125, status);
            // HttpURLConnection keeps a refused Expect's status but not its body: the CLI says what a 413 means here
            assertEquals("msb: the msb server refused the request body as too large (HTTP 413; an image archive's "
                + "limit is maxImageArchiveMib of io.msb.http)\n", err.toString(StandardCharsets.UTF_8));
            String request = head.get();
            assertTrue(request.contains("Expect: 100-continue"), request);
            assertTrue(request.contains("Content-Length: " + (64L << 20)), request);
        }
    }

    /** Reads one request's head and answers 413 with {@code body} at once; returns the head. */
    private static String refuse(ServerSocket server, String body) {
        try (Socket s = server.accept()) {
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            return head.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
