package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestBootstrapTest {

    private static JsonNode decode(String argument) throws Exception {
        assertTrue(argument.startsWith("msb.bootstrap="), argument);
        byte[] cbor = Base64.getUrlDecoder().decode(argument.substring("msb.bootstrap=".length()));
        return new CBORMapper().readTree(cbor);
    }

    @Test
    void encodesSnakeCaseFieldsAgentdReads() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LANG", "C.UTF-8");
        env.put("PATH", "/usr/bin:/bin");
        JsonNode map = decode(new GuestBootstrap("box", GuestBootstrap.env(env), "1000:1000", "/work",
                List.of(new GuestBootstrap.Rlimit("nofile", 1024, 4096))).kernelArgument());
        assertEquals("box", map.get("hostname").asText());
        assertEquals("LANG", map.get("default_env").get(0).get("key").asText());
        assertEquals("/usr/bin:/bin", map.get("default_env").get(1).get("value").asText());
        assertEquals("1000:1000", map.get("user").asText());
        assertEquals("/work", map.get("default_cwd").asText());
        assertEquals(4096, map.get("rlimits").get(0).get("hard").asLong());
        assertFalse(decode(new GuestBootstrap("h", List.of(), null, null, List.of()).kernelArgument()).has("user"),
                "absent fields are left out");
    }

    @Test
    void carriesLargeEnvironmentsUpToAgentdsLimit() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            env.put("VAR" + i, Integer.toString(i).repeat(64 * 1024));
        }
        JsonNode map = decode(new GuestBootstrap("h", GuestBootstrap.env(env), null, null, null).kernelArgument());
        assertEquals(8, map.get("default_env").size());
        assertEquals("7".repeat(64 * 1024), map.get("default_env").get(7).get("value").asText());

        env.put("MORE", "x".repeat(600 * 1024));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GuestBootstrap("h", GuestBootstrap.env(env), null, null, null).kernelArgument());
        assertTrue(e.getMessage().contains("(max 1048576)"), e.getMessage());
    }
}
