package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.protocol.internal.Cbor;
import io.msb.protocol.internal.Codec;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every shared vector in conformance/agent-protocol, checked against this codec. */
class ConformanceVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    @TestFactory
    Stream<DynamicTest> vectors() throws Exception {
        Path file = Path.of(System.getProperty("msb.vectors", "../../conformance/agent-protocol/vectors.json"));
        JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
        assertEquals(MessageType.PROTOCOL_VERSION, root.get("protocol_version").asInt());
        assertEquals(Frame.MAX_FRAME_SIZE, root.get("max_frame_size").asInt());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : root.get("vectors")) {
            tests.add(DynamicTest.dynamicTest(v.get("name").asText(), () -> check(v)));
        }
        return tests.stream();
    }

    private static void check(JsonNode v) throws Exception {
        byte[] bytes = HEX.parseHex(v.get("hex").asText());
        if (v.get("expect").asText().equals("ok")) {
            checkOk(v, bytes);
        } else {
            checkError(v, bytes);
        }
    }

    private static void checkOk(JsonNode v, byte[] bytes) throws Exception {
        JsonNode d = v.get("decoded");
        Frame frame = Frame.decode(bytes);
        assertEquals(d.get("id").asLong(), Integer.toUnsignedLong(frame.id()), "id");
        assertEquals(d.get("flags").asInt(), frame.flags(), "flags");
        assertEquals(frame, Frame.read(new ByteArrayInputStream(bytes)), "stream read = buffer decode");
        Message m = Codec.decode(frame);
        assertEquals(d.get("v").asInt(), m.version(), "v");
        assertEquals(d.get("t").asText(), m.wireType(), "t");
        MessageType type = Codec.validate(m);
        Object payload = m.payload(Codec.payloadClass(type));
        // the typed value, re-encoded canonically, must read back as the vector's decoded p
        byte[] canonicalPayload = Codec.encodePayload(payload);
        JsonNode actual = jsonForm(Cbor.mapper().readTree(canonicalPayload));
        assertEquals(normalize(d.get("p")), normalize(actual), "decoded payload");
        if (v.get("canonical").asBoolean()) {
            assertArrayEquals(bytes, Codec.encode(type, frame.id(), payload).encode(),
                    () -> "canonical encoding\nexpected " + HEX.formatHex(bytes) + "\nactual   "
                            + HEX.formatHex(Codec.encode(type, frame.id(), payload).encode()));
        }
    }

    private static void checkError(JsonNode v, byte[] bytes) {
        String error = v.get("error").asText();
        Frame frame;
        try {
            frame = Frame.decode(bytes);
        } catch (FrameException e) {
            assertEquals(error, e.kind().name().toLowerCase(Locale.ROOT), e.getMessage());
            FrameException streamed = assertThrows(FrameException.class,
                    () -> Frame.read(new ByteArrayInputStream(bytes)));
            assertEquals(e.kind(), streamed.kind());
            return;
        }
        assertNotNull(v.get("agent_reply"), "a message-level vector names the agent's reply");
        try {
            Message m = Codec.decode(frame);
            MessageType type = Codec.validate(m);
            m.payload(Codec.payloadClass(type));
            fail("decoded without error, expected " + error);
        } catch (ProtocolException e) {
            assertEquals(error, e.kind().wire(), e.getMessage());
        }
    }

    /** Renders a CBOR tree in the vectors' JSON form: byte strings become {"$bytes": hex}. */
    static JsonNode jsonForm(JsonNode n) throws Exception {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (n.isBinary()) {
            return f.objectNode().put("$bytes", HEX.formatHex(n.binaryValue()));
        }
        if (n.isObject()) {
            ObjectNode o = f.objectNode();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                o.set(e.getKey(), jsonForm(e.getValue()));
            }
            return o;
        }
        if (n.isArray()) {
            var a = f.arrayNode();
            for (JsonNode c : n) {
                a.add(jsonForm(c));
            }
            return a;
        }
        return n;
    }

    /** Numbers compare by value (IntNode vs LongNode), everything else structurally, key order included. */
    static String normalize(JsonNode n) {
        if (n.isIntegralNumber()) {
            return n.bigIntegerValue().toString();
        }
        if (n.isObject()) {
            StringBuilder b = new StringBuilder("{");
            n.properties().forEach(e -> b.append(e.getKey()).append(':').append(normalize(e.getValue())).append(','));
            return b.append('}').toString();
        }
        if (n.isArray()) {
            StringBuilder b = new StringBuilder("[");
            n.forEach(c -> b.append(normalize(c)).append(','));
            return b.append(']').toString();
        }
        return n.toString();
    }
}
