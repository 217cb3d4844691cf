package io.msb.webconsole.jaas.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BasicCredentialsTest {
    private static String basic(String pair) {
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsUserAndPasswordWhichMayHoldColons() {
        BasicCredentials c = BasicCredentials.parse(basic("karaf:s3:cr:et")).orElseThrow();
        assertEquals("karaf", c.user());
        assertEquals("s3:cr:et", c.password());
        assertEquals("zoë", BasicCredentials.parse("  basic " + basic("zoë:x").substring(6) + " ").orElseThrow().user());
        assertFalse(c.toString().contains("s3"), "the password must not be in toString: " + c);
    }

    @Test
    void refusesWhatIsNotBasicCredentials() {
        assertTrue(BasicCredentials.parse(null).isEmpty());
        assertTrue(BasicCredentials.parse("").isEmpty());
        assertTrue(BasicCredentials.parse("Bearer abc").isEmpty());
        assertTrue(BasicCredentials.parse("Basic").isEmpty());
        assertTrue(BasicCredentials.parse("Basic !!!not-base64").isEmpty());
        assertTrue(BasicCredentials.parse(basic("no-colon")).isEmpty());
        assertTrue(BasicCredentials.parse(basic(":password-without-user")).isEmpty());
        byte[] latin1 = "caf\u00e9:x".getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(BasicCredentials.parse("Basic " + Base64.getEncoder().encodeToString(latin1)).isEmpty(),
                "bytes that are not UTF-8 must be refused, not replaced");
    }

    @Test
    void boundsEveryPart() {
        String user = "u".repeat(BasicCredentials.MAX_USER);
        String password = "p".repeat(BasicCredentials.MAX_PASSWORD);
        assertTrue(BasicCredentials.parse(basic(user + ":" + password)).isPresent(), "the largest accepted pair");
        assertTrue(BasicCredentials.parse(basic(user + "u:" + password)).isEmpty(), "user too long");
        assertTrue(BasicCredentials.parse(basic(user + ":" + password + "p")).isEmpty(), "password too long");
        // the largest accepted pair in 4-byte characters still fits the header bound; one more character does not
        String wide = "\uD83D\uDE00";
        assertTrue(BasicCredentials.parse(basic(wide.repeat(BasicCredentials.MAX_USER / 2) + ":"
                + wide.repeat(BasicCredentials.MAX_PASSWORD / 2))).isPresent());
        assertTrue(BasicCredentials.parse("Basic " + "A".repeat(BasicCredentials.MAX_HEADER)).isEmpty(),
                "an oversized header is refused before it is decoded");
    }
}
