package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.protocol.AgentTransport;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link AgentSocket} against a real WebSocket server on 127.0.0.1: the bytes, the pings, the ends, a refusal. */
class AgentSocketTest {
    private static final String PATH = "/v1/sandboxes/0b7f/agent";

    private final LoopbackWebSocketServer server = start();
    private final ApiClient api = new ApiClient(
        Config.fromEnvironment(Map.of("MSB_API_URL", server.url(), "MSB_API_KEY", "msb_test"), null), new ObjectMapper());

    private static LoopbackWebSocketServer start() {
        try {
            return new LoopbackWebSocketServer();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    /** Opens the client while the server accepts it. */
    private AgentTransport connect() throws Exception {
        CompletableFuture<AgentTransport> client = CompletableFuture.supplyAsync(() -> AgentSocket.open(api, PATH));
        server.accept();
        return client.get(30, TimeUnit.SECONDS);
    }

    /** Reads {@code n} bytes, failing instead of hanging when they never come. */
    private static byte[] read(AgentTransport t, int n) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new DataInputStream(t.input()).readNBytes(n);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).get(30, TimeUnit.SECONDS);
    }

    @Test
    void bytesFlowBothWaysWhateverTheMessageBoundaries() throws Exception {
        AgentTransport t = connect();
        assertTrue(server.request.startsWith("GET " + PATH + " HTTP/1.1\r\n"), server.request);
        assertTrue(server.request.contains("Authorization: Bearer msb_test\r\n"), server.request);

        byte[] big = new byte[300_000]; // several of the JDK's reads, consumed in pieces
        new Random(7).nextBytes(big);
        server.send(LoopbackWebSocketServer.BINARY, "hello ".getBytes(StandardCharsets.UTF_8));
        server.send(LoopbackWebSocketServer.BINARY, "agent".getBytes(StandardCharsets.UTF_8));
        server.send(LoopbackWebSocketServer.BINARY, big);
        assertEquals("hello agent", new String(read(t, 11), StandardCharsets.UTF_8));
        assertArrayEquals(big, read(t, big.length));

        // a frame is written in pieces and flushed: one binary message
        t.output().write("[head]".getBytes(StandardCharsets.UTF_8));
        t.output().write("[body]".getBytes(StandardCharsets.UTF_8));
        t.output().flush();
        LoopbackWebSocketServer.Frame frame = server.read();
        assertEquals(LoopbackWebSocketServer.BINARY, frame.opcode());
        assertEquals("[head][body]", new String(frame.payload(), StandardCharsets.UTF_8));
        // more than a chunk is sent without waiting for the flush
        t.output().write(big);
        int received = 0;
        while (received < big.length) {
            received += server.read().payload().length;
        }
        assertEquals(big.length, received);
    }

    @Test
    void aPingIsAnsweredAndDataAfterItStillArrives() throws Exception {
        AgentTransport t = connect();
        server.send(LoopbackWebSocketServer.PING, "are you there".getBytes(StandardCharsets.UTF_8));
        server.send(LoopbackWebSocketServer.BINARY, "after".getBytes(StandardCharsets.UTF_8));
        assertEquals("after", new String(read(t, 5), StandardCharsets.UTF_8));
        LoopbackWebSocketServer.Frame pong = server.read();
        assertEquals(LoopbackWebSocketServer.PONG, pong.opcode());
        assertEquals("are you there", new String(pong.payload(), StandardCharsets.UTF_8));
    }

    @Test
    void theServersCloseIsTheEndOfTheStreamAndOurCloseSendsOne() throws Exception {
        AgentTransport t = connect();
        server.send(LoopbackWebSocketServer.BINARY, "last".getBytes(StandardCharsets.UTF_8));
        server.send(LoopbackWebSocketServer.CLOSE, new byte[] {0x03, (byte) 0xe8});
        assertEquals("last", new String(read(t, 4), StandardCharsets.UTF_8));
        assertEquals(0, read(t, 1).length, "the end of the stream after the server's Close");

        AgentTransport second = connect();
        second.close();
        assertEquals(LoopbackWebSocketServer.CLOSE, server.read().opcode());
        assertEquals(0, read(second, 1).length, "a closed transport reads as ended");
    }

    @Test
    void aDroppedConnectionEndsTheStream() throws Exception {
        AgentTransport t = connect();
        server.drop();
        // the JDK reports a drop as a Close 1006 or as an error: the reader sees the end, or a failure naming it
        try {
            assertEquals(0, read(t, 1).length);
        } catch (ExecutionException failed) {
            assertTrue(failed.getCause().getMessage().contains("the agent WebSocket failed"), failed.getCause().toString());
        }
    }

    @Test
    void aRefusedUpgradeIsTheServersErrorMessage() throws Exception {
        CompletableFuture<AgentTransport> client = CompletableFuture.supplyAsync(() -> AgentSocket.open(api, PATH));
        server.refuse(409, "{\"error\":{\"code\":\"invalid_state_transition\",\"message\":\"sandbox box is not running\"}}");
        ExecutionException failed = assertThrows(ExecutionException.class, () -> client.get(30, TimeUnit.SECONDS));
        ApiErrorResponse error = assertInstanceOf(ApiErrorResponse.class, failed.getCause());
        assertEquals(409, error.status);
        assertEquals("invalid_state_transition", error.code);
        assertEquals("sandbox box is not running", error.getMessage());
    }

    @Test
    void anUnreachableServerIsNamed() throws Exception {
        server.close(); // nothing listens on the port any more
        CliException failed = assertThrows(CliException.class, () -> AgentSocket.open(api, PATH));
        assertTrue(failed.getMessage().startsWith("cannot reach the msb server at " + server.url()), failed.getMessage());
    }
}
