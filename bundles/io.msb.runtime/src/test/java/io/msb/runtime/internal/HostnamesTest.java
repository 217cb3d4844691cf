package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HostnamesTest {

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void shortNamesPassThrough() {
        assertEquals("short-name", Hostnames.fromSandboxName("short-name"));
        assertEquals("a".repeat(64), Hostnames.fromSandboxName("a".repeat(64)));
    }

    @Test
    void longNamesCollapseTo64BytesEndingInHyphenAndEightHexDigits() {
        assertEquals(64, bytes(Hostnames.fromSandboxName("a".repeat(65))));
        String derived = Hostnames.fromSandboxName("a".repeat(128));
        assertEquals(64, bytes(derived));
        assertEquals('-', derived.charAt(55));
        assertTrue(derived.substring(56).matches("[0-9a-f]{8}"), derived);
        assertEquals("a".repeat(55), derived.substring(0, 55));
    }

    @Test
    void suffixIsTheStartOfTheNamesSha256() {
        // sha256("a" * 65) starts with these bytes (computed independently with sha256sum).
        String derived = Hostnames.fromSandboxName("a".repeat(65));
        assertEquals(Sha256Sum.of("a".repeat(65)).substring(0, 8), derived.substring(56));
    }

    @Test
    void deterministicAndDistinct() {
        String a = "a".repeat(128);
        String b = "a".repeat(127) + "b";
        assertEquals(Hostnames.fromSandboxName(a), Hostnames.fromSandboxName(a));
        assertNotEquals(Hostnames.fromSandboxName(a), Hostnames.fromSandboxName(b));
    }

    @Test
    void cutsOnUtf8Boundaries() {
        String name = "é".repeat(64);
        assertEquals(128, bytes(name));
        String derived = Hostnames.fromSandboxName(name);
        assertTrue(bytes(derived) <= 64);
        assertEquals("é".repeat(27) + "-", derived.substring(0, 28));
        assertEquals(63, bytes(derived));
    }
}
