package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
    @TempDir
    Path home;

    @Test
    void defaultsToLoopbackAndTheKeyFileInMsbHome() throws IOException {
        Files.writeString(home.resolve("api-key"), "msb_abc\n");
        Config c = Config.fromEnvironment(Map.of("MSB_HOME", home.toString()), "/opt/msb/bin/msb-server");
        assertEquals("http://127.0.0.1:5555", c.apiUrl().toString());
        assertEquals("msb_abc", c.apiKey());
        assertEquals(home.resolve("api-key").toString(), c.keySource());
        assertEquals("/opt/msb/bin/msb-server start", c.startHint());
    }

    @Test
    void theEnvironmentWins() throws IOException {
        Files.writeString(home.resolve("api-key"), "msb_file");
        Config c = Config.fromEnvironment(Map.of("MSB_HOME", home.toString(), "MSB_API_KEY", " msb_env ",
            "MSB_API_URL", "http://localhost:7000/"), null);
        assertEquals("http://localhost:7000", c.apiUrl().toString());
        assertEquals("msb_env", c.apiKey());
        assertEquals("MSB_API_KEY", c.keySource());
    }

    @Test
    void homeFallsBackToDotMsb() throws IOException {
        Files.createDirectories(home.resolve(".msb"));
        Files.writeString(home.resolve(".msb/api-key"), "k1");
        assertEquals("k1", Config.fromEnvironment(Map.of("HOME", home.toString()), null).apiKey());
    }

    @Test
    void noKeyAnywhereIsNoKey() {
        assertNull(Config.fromEnvironment(Map.of("MSB_HOME", home.toString()), null).apiKey());
    }

    @Test
    void badValuesAreRefusedNamingTheirSource() throws IOException {
        assertTrue(assertThrows(CliException.class, () -> Config.fromEnvironment(Map.of("MSB_API_URL", "ftp://x"), null))
            .getMessage().startsWith("MSB_API_URL: must be an http:// or https:// URL"));
        assertTrue(assertThrows(CliException.class, () -> Config.fromEnvironment(Map.of("MSB_API_URL", "http://x/?a=b"), null))
            .getMessage().startsWith("MSB_API_URL: must have no query"));
        assertTrue(assertThrows(CliException.class, () -> Config.fromEnvironment(Map.of("MSB_API_KEY", "a b"), null))
            .getMessage().startsWith("MSB_API_KEY: an API key must be printable ASCII"));
        Files.write(home.resolve("api-key"), new byte[Config.MAX_KEY_BYTES + 1]);
        assertTrue(assertThrows(CliException.class, () -> Config.fromEnvironment(Map.of("MSB_HOME", home.toString()), null))
            .getMessage().endsWith("api-key: an API key file must be at most 4096 bytes"));
    }

    @Test
    void pathSegmentsArePercentEncoded() {
        assertEquals("a-b_c.d~e", ApiClient.segment("a-b_c.d~e"));
        assertEquals("a%2Fb%20c%3F%C3%A9", ApiClient.segment("a/b c?é"));
    }
}
