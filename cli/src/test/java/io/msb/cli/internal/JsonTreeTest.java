package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** JsonTree (decision 1964) reads and writes trees as an ObjectMapper with its default settings does. */
class JsonTreeTest {
    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void readsWhatTheMapperReads() throws Exception {
        for (String json : List.of("{\"data\":[{\"name\":\"a\",\"spec\":{\"image\":\"b\",\"resources\":{\"vcpus\":2}}}],"
                + "\"has_more\":false,\"next_cursor\":null}", "[]", "{}", "\"x\\u00e9\\n\"", "true", "false", "null",
            "0", "-7", "2147483648", "-9223372036854775809", "123456789012345678901234567890", "1.5", "-0.0", "1e400",
            "3.14159265358979323846264338327950288", "{\"a\":1,\"a\":{\"b\":2}}", "{\"a\":1} trailing",
            "  [1, 2.0, \"3\", [[]], {\"x\": [null]}]  ", "", "   ")) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            JsonNode expected = mapper.readTree(bytes);
            JsonNode actual = JsonTree.read(bytes);
            assertEquals(expected, actual, json);
            assertEquals(expected.getNodeType(), actual.getNodeType(), json);
            assertEquals(expected.toString(), actual.toString(), json);
        }
    }

    @Test
    void refusesWhatTheMapperRefusesWithTheSameMessage() {
        for (String json : List.of("{", "{\"a\":}", "[1,]", "nope", "{\"a\" 1}", "\"open", "[".repeat(1001) + "]".repeat(1001))) {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            JsonProcessingException expected = assertThrows(JsonProcessingException.class, () -> mapper.readTree(bytes));
            JsonProcessingException actual = assertThrows(JsonProcessingException.class, () -> JsonTree.read(bytes));
            assertEquals(expected.getOriginalMessage(), actual.getOriginalMessage(), json);
        }
    }

    @Test
    void writesPlainTreesAsTheMapperDoes() throws Exception {
        ObjectNode tree = mapper.createObjectNode();
        tree.putArray("cmd").add("sh").add("-c").add("echo \"hi\" \u00e9 \u0001");
        tree.putObject("env").put("A", "1").putNull("B").put("C", true);
        tree.put("int", 1).put("long", 1L << 40).put("big", new java.math.BigInteger("123456789012345678901234567890"))
            .put("double", 0.1).put("float", 1.5f).put("decimal", new java.math.BigDecimal("1.50"));
        tree.putArray("empty");
        tree.putObject("nested").putArray("x").addObject().put("y", false);
        assertArrayEquals(mapper.writeValueAsBytes(tree), JsonTree.write(tree));
    }

    @Test
    void leavesTreesWithPojosToTheMapper() throws Exception {
        ObjectNode tree = mapper.createObjectNode();
        tree.putObject("spec").putPOJO("labels", Map.of("a", "b"));
        assertNull(JsonTree.write(tree));
        assertNull(JsonTree.write(mapper.createObjectNode().put("bytes", new byte[] {1})));
    }
}
