package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A server that goes away in the middle of an answer: one line on stderr naming that, 125, no stack trace. */
class ConnectionLossTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Answers one request with {@code head} and {@code body}, then closes the connection. */
    private static Thread answerOnceAndClose(ServerSocket server, String head, String body) {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                int length = 0;
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.skip(length);
                OutputStream o = s.getOutputStream();
                o.write((head + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                o.flush();
            } catch (Exception e) {
                // the test's assertions tell
            }
        }, "scripted-peer");
        t.start();
        return t;
    }

    private int msb(ServerSocket server, String... args) {
        Cli cli = new Cli(out, err, new ByteArrayInputStream(new byte[0]),
            Map.of("MSB_API_URL", "http://127.0.0.1:" + server.getLocalPort(), "MSB_API_KEY", "msb_test"), null);
        return Main.run(args, cli);
    }

    @Test
    void aStreamCutInTheMiddleOfAChunkIsALostConnection() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String started = "{\"type\":\"started\"}\n";
            // announces a chunk longer than what comes: the read fails when the peer closes
            Thread peer = answerOnceAndClose(server, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                + "Transfer-Encoding: chunked", Integer.toHexString(started.length() + 100) + "\r\n" + started);
            assertEquals(125, msb(server, "exec", "box", "--", "true"));
            peer.join();
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("msb: lost the connection to the msb server: "), text);
        assertEquals(1, text.lines().count(), text);
    }

    @Test
    void aStreamThatEndsBeforeTheExitSaysTheServerClosedIt() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread peer = answerOnceAndClose(server, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                + "Connection: close", "{\"type\":\"started\"}\n");
            assertEquals(125, msb(server, "exec", "box", "--", "true"));
            peer.join();
        }
        assertEquals("msb: the exec stream ended before the command's exit was reported: the server closed the "
            + "connection\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anAnswerCutShortIsOneLine() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread peer = answerOnceAndClose(server, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100", "{\"name\":");
            assertEquals(125, msb(server, "inspect", "box"));
            peer.join();
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("msb: the server's answer is not JSON: "), text);
    }
}
