package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.protocol.internal.Codec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile frames sent to the real agentd: message-level errors are answered with core.error on
 * the same id and the connection stays up; frame-level errors close the connection; the agent
 * itself never dies.
 */
class MalformedFramesTest {
    @TempDir
    Path dir;
    Path socket;
    Agentd agent;

    @BeforeEach
    void start() throws Exception {
        Agentd.binary();
        socket = dir.resolve("a.sock");
        agent = Agentd.listen(socket);
    }

    @AfterEach
    void stop() throws Exception {
        assertTrue(agent.process.isAlive(), () -> "agentd died: " + stderr());
        agent.close();
    }

    private String stderr() {
        try {
            return agent.stderrText();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** A raw connection past the agent's core.ready. */
    private final class Raw implements AutoCloseable {
        final AgentTransport t = AgentTransport.unix(socket);
        final InputStream in = new BufferedInputStream(t.input());

        Raw() throws IOException {
            assertEquals(MessageType.READY, Codec.decode(Frame.read(in)).type());
        }

        void send(byte[] bytes) throws IOException {
            t.output().write(bytes);
            t.output().flush();
        }

        /** The next frame for {@code id}, skipping unrelated ones. */
        Message next(int id) throws IOException {
            while (true) {
                Frame f = Frame.read(in);
                if (f == null) {
                    return null;
                }
                if (f.id() == id) {
                    return Codec.decode(f);
                }
            }
        }

        void assertPingWorks(int id) throws IOException {
            send(Codec.encode(MessageType.PING, id, new Core.Ping()).encode());
            Message m = next(id);
            assertEquals(MessageType.PONG, m == null ? null : m.type(), "ping after the bad frame");
        }

        @Override
        public void close() {
            t.close();
        }
    }

    @Test
    void messageLevelVectorsGetCoreErrorOnTheSameId() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(Path.of(System.getProperty("msb.vectors",
                "../../conformance/agent-protocol/vectors.json"))));
        int checked = 0;
        try (Raw raw = new Raw()) {
            for (JsonNode v : root.get("vectors")) {
                if (!v.has("agent_reply")) {
                    continue;
                }
                byte[] bytes = HexFormat.of().parseHex(v.get("hex").asText());
                Frame f = Frame.decode(bytes);
                raw.send(bytes);
                Message reply = raw.next(f.id());
                String name = v.get("name").asText();
                assertEquals(MessageType.CORE_ERROR, reply == null ? null : reply.type(), name);
                Core.Error err = reply.payload(Core.Error.class);
                assertEquals(v.get("agent_reply").asText(), err.kind().wire(), name + ": " + err.message());
                raw.assertPingWorks(1000 + checked);
                checked++;
            }
        }
        assertTrue(checked >= 10, "message-level vectors checked: " + checked);
    }

    @Test
    void unknownTypeAndWrongSessionAreAnswered() throws Exception {
        try (Raw raw = new Raw()) {
            raw.send(Codec.encodeRaw("core.future.thing", 77, 0, Codec.encodePayload(new Core.Ping())).encode());
            Core.Error e = raw.next(77).payload(Core.Error.class);
            assertEquals(Core.ErrorKind.UNSUPPORTED_MESSAGE_TYPE, e.kind());
            assertEquals("core.future.thing", e.offendingType());
            raw.assertPingWorks(78);
        }
    }

    /** A frame of {@code type} with its payload and explicit flags and protocol generation. */
    private static byte[] frame(MessageType type, Object payload, int id, int flags, int v) {
        byte[] body = Codec.encode(type, id, payload).body();
        body[3] = (byte) v; // the envelope is {"v": 7, ...}: one map head, one key byte pair, then v
        return new Frame(id, flags, body).encode();
    }

    @Test
    void wrongFlagsAreAnsweredWhateverTheGenerationAndTheFrameIsSkipped() throws Exception {
        record Case(MessageType type, Object payload, int flags, int v) {
        }
        List<Case> cases = List.of(new Case(MessageType.PING, new Core.Ping(), Frame.SESSION_START, 7),
                new Case(MessageType.PING, new Core.Ping(), Frame.SESSION_START, 1), // fatal to microsandbox's agent
                new Case(MessageType.EXEC_REQUEST, new Exec.Request("true", null, null, null, null, null, null, null, null), 0, 7),
                new Case(MessageType.SHUTDOWN, null, 0, 7),
                new Case(MessageType.PONG, new Core.Pong(), 0, 7));
        try (Raw raw = new Raw()) {
            int id = 20;
            for (Case c : cases) {
                raw.send(frame(c.type, c.payload, id, c.flags, c.v));
                Message reply = raw.next(id);
                assertEquals(MessageType.CORE_ERROR, reply.type(), c.toString());
                assertEquals(Frame.TERMINAL, reply.flags(), c.toString());
                assertEquals(new Core.Error(Core.ErrorKind.INVALID_FLAGS, "invalid flags for " + c.type.wire() + ": got "
                        + c.flags + ", expected " + c.type.flags(), c.type.wire()), reply.payload(Core.Error.class));
                raw.assertPingWorks(id + 1); // nothing else came on id, and the agent still serves
                id += 2;
            }
            // a known type the agent has no handler for is ignored: the next frame read is the pong
            raw.send(Codec.encode(MessageType.PONG, id, new Core.Pong()).encode());
            raw.send(Codec.encode(MessageType.PING, id + 1, new Core.Ping()).encode());
            Frame next = Frame.read(raw.in);
            assertEquals(id + 1, next.id());
            assertEquals(MessageType.PONG, Codec.decode(next).type());
        }
    }

    @Test
    void oversizedLengthClosesTheConnectionOnly() throws Exception {
        for (byte[] bad : new byte[][] { { 0x00, 0x40, 0x00, 0x01, 0, 0, 0, 1, 0 }, // 4 MiB + 1
                { (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 1, 0 }, // 2^32 - 1
                { 0, 0, 0, 4, 0, 0, 0, 1 } }) { // shorter than the header
            try (Raw raw = new Raw()) {
                raw.send(bad);
                // the agent may say why (core.error) before it hangs up; nothing else may follow
                Frame f;
                while ((f = Frame.read(raw.in)) != null) {
                    assertEquals(MessageType.CORE_ERROR, Codec.decode(f).type());
                }
            }
            try (Raw again = new Raw()) {
                again.assertPingWorks(5);
            }
        }
    }

    @Test
    void truncatedFrameThenEofIsSurvived() throws Exception {
        try (Raw raw = new Raw()) {
            raw.send(new byte[] { 0, 0, 1, 0, 0, 0, 0, 9, 0, (byte) 0xa3 });
            raw.t.output().close();
            assertNull(Frame.read(raw.in));
        }
        try (Raw again = new Raw()) {
            again.assertPingWorks(6);
        }
    }

    @Test
    void maximumSizeFrameIsAccepted() throws Exception {
        // a stdin chunk that fills the frame to exactly 4 MiB is legal and must not be refused
        try (Raw raw = new Raw()) {
            byte[] empty = Codec.encode(MessageType.EXEC_STDIN, 9, new Exec.Stdin(new byte[0])).body();
            int room = Frame.MAX_FRAME_SIZE - Frame.HEADER_SIZE - empty.length - 8;
            Frame f = Codec.encode(MessageType.EXEC_STDIN, 9, new Exec.Stdin(new byte[room]));
            assertTrue(f.wireSize() - 4 <= Frame.MAX_FRAME_SIZE && f.wireSize() - 4 > Frame.MAX_FRAME_SIZE - 16);
            raw.send(f.encode());
            raw.assertPingWorks(10);
        }
    }

    @Test
    void randomGarbageNeverKillsTheAgent() throws Exception {
        Random rnd = new Random(42);
        for (int round = 0; round < 30; round++) {
            try (Raw raw = new Raw()) {
                byte[] junk = new byte[1 + rnd.nextInt(4096)];
                rnd.nextBytes(junk);
                if (round % 2 == 0) {
                    // a plausible length so the junk is read as one frame body
                    int len = junk.length - 4;
                    junk[0] = 0;
                    junk[1] = (byte) (len >>> 16);
                    junk[2] = (byte) (len >>> 8);
                    junk[3] = (byte) len;
                }
                try {
                    raw.send(junk);
                    raw.t.output().close();
                    while (Frame.read(raw.in) != null) {
                        // drain whatever the agent answers
                    }
                } catch (IOException e) {
                    // the agent may hang up mid-way: that is allowed
                }
            }
            assertTrue(agent.process.isAlive(), () -> "agentd died: " + stderr());
        }
        try (Raw again = new Raw()) {
            again.assertPingWorks(11);
        }
    }
}
