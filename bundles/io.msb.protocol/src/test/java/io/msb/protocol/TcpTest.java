package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.TcpStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** TCP streams opened by the real agentd to a local server, including half-close. */
class TcpTest extends AgentdOnStdio {

    private static final int ACK_EVERY = 1024 * 1024;

    /**
     * A server that acknowledges every MiB with one byte (application-level pacing: agentd buffers
     * at most 4 MiB per stream and the protocol has no window), reads to EOF, then answers with the
     * byte count and digest of what it got, then closes.
     */
    private static CompletableFuture<Void> digestServer(ServerSocket server) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[65536];
                long total = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    long before = total / ACK_EVERY;
                    total += n;
                    for (long k = before; k < total / ACK_EVERY; k++) {
                        out.write('+');
                    }
                    out.flush();
                }
                out.write((total + " " + HexFormat.of().formatHex(md.digest())).getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void halfCloseThenReadTheAnswer() throws Exception {
        byte[] data = new byte[9 * 1024 * 1024 + 3];
        new Random(7).nextBytes(data);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = digestServer(server);
            try (TcpStream t = client.connectTcp("127.0.0.1", server.getLocalPort())) {
                int acked = 0;
                for (int off = 0; off < data.length; off += ACK_EVERY) {
                    t.output().write(data, off, Math.min(ACK_EVERY, data.length - off));
                    if (off >= 2 * ACK_EVERY) { // keep at most ~3 MiB in flight
                        assertEquals('+', t.input().read());
                        acked++;
                    }
                }
                t.output().close(); // half-close: the server sees EOF but can still answer
                String answer = new String(t.input().readAllBytes(), StandardCharsets.UTF_8);
                answer = answer.substring(data.length / ACK_EVERY - acked);
                assertEquals(data.length + " " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)),
                        answer);
            }
            served.get(60, TimeUnit.SECONDS);
        }
        assertTrue(client.ping().toNanos() > 0);
    }

    @Test
    void serverToClientStream() throws Exception {
        byte[] data = new byte[16 * 1024 * 1024];
        new Random(9).nextBytes(data);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(data);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (TcpStream t = client.connectTcp("127.0.0.1", server.getLocalPort())) {
                assertArrayEquals(data, t.input().readAllBytes());
            }
            served.get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void refusedConnectionFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MsbException e = assertThrows(MsbException.class, () -> client.connectTcp("127.0.0.1", port));
        assertTrue(e.getMessage().toLowerCase().contains("refused"), e.getMessage());
        assertEquals(0, client.pendingSessions());
    }
}
