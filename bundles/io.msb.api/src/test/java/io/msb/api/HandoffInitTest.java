package io.msb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandoffInitTest {
    private static String refused(String cmd, List<String> args, Map<String, String> env) {
        return assertThrows(InvalidConfigException.class, () -> new HandoffInit(cmd, args, env)).detail();
    }

    @Test
    void cmdIsAutoOrAnAbsolutePathAndArgsAndEnvAreBounded() {
        assertEquals(new HandoffInit("auto", List.of(), Map.of()), HandoffInit.auto());
        assertEquals(List.of(), new HandoffInit("/sbin/init", null, null).args());
        assertEquals("init.cmd: required", refused(null, null, null));
        assertEquals("init.cmd: must be an absolute path or \"auto\", got \"systemd\"", refused("systemd", null, null));
        assertEquals("init.cmd: must not contain NUL", refused("/sbin/\0init", null, null));
        assertEquals("init.cmd: longer than 4096 bytes", refused("/" + "x".repeat(4096), null, null));
        assertEquals("init.args: must not contain NUL", refused("auto", List.of("a\0"), null));
        assertEquals("init.args: more than 1024 entries", refused("auto", Collections.nCopies(1025, "a"), null));
        assertEquals("init.env: a name must be non-empty without '=', got \"A=B\"", refused("auto", null, Map.of("A=B", "1")));
        Map<String, String> big = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            big.put("K" + i, "v".repeat(50_000));
        }
        assertEquals("init.env: more than 131072 bytes as KEY=VALUE strings", refused("auto", null, big));
    }
}
