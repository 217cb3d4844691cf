package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.msb.api.InvalidConfigException;
import io.msb.api.exec.ExecOptions;
import io.msb.protocol.internal.Codec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code msb.identity.apply} (decision 1240): its encoding, the checks this side makes before sending, and the real
 * agentd applying and refusing it. The agent is a host process here, so only the exec defaults change; the guest-wide
 * parts (hostname, network, seed, clock) are e2e's IdentityApplyIT.
 */
class IdentityApplyTest extends AgentdOnStdio {
    private static GuestBootstrap defaults(Map<String, String> env, String cwd) {
        return new GuestBootstrap(null, GuestBootstrap.env(env), null, cwd, null);
    }

    private static String envAndCwd() {
        return client.run(ExecOptions.of("/bin/sh", "-c", "printf '%s|%s' \"$IDENTITY_A\" \"$(pwd)\"").build())
                .stdoutText();
    }

    @Test
    void encodesTheBootstrapAsGuestBootstrapDoesAndLeavesAbsentFieldsOut() throws Exception {
        byte[] seed = new byte[32];
        JsonNode p = new CBORMapper().readTree(Codec.encodePayload(new Core.IdentityApply(
                new GuestBootstrap("copy-2", GuestBootstrap.env(Map.of("A", "1")), null, "/srv", null), seed, 7L)));
        assertEquals(List.of("bootstrap", "seed", "unix_time_nanos"), fieldNames(p));
        assertEquals(List.of("hostname", "default_env", "default_cwd"), fieldNames(p.get("bootstrap")));
        assertEquals("A", p.get("bootstrap").get("default_env").get(0).get("key").asText());
        assertEquals(32, p.get("seed").binaryValue().length);
        assertEquals(7, p.get("unix_time_nanos").asLong());
        JsonNode minimal = new CBORMapper().readTree(Codec.encodePayload(new Core.IdentityApply(
                new GuestBootstrap(null, null, null, null, null), null, null)));
        assertEquals(List.of("bootstrap"), fieldNames(minimal));
        assertFalse(minimal.get("bootstrap").fieldNames().hasNext(), "an empty bootstrap changes nothing");
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void seedLengthAndBootstrapAreCheckedBeforeSending() {
        GuestBootstrap none = defaults(Map.of(), null);
        for (int bad : new int[] {0, 31, 513}) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class,
                    () -> client.applyIdentity(none, new byte[bad], null));
            assertEquals("seed", e.field());
        }
        assertEquals("bootstrap", assertThrows(InvalidConfigException.class,
                () -> client.applyIdentity(null, null, null)).field());
    }

    @Test
    void theNextExecRunsWithTheNewDefaults() {
        client.applyIdentity(defaults(Map.of("IDENTITY_A", "one"), dir.toString()), new byte[32], Instant.now());
        assertEquals("one|" + dir, envAndCwd());
        client.applyIdentity(defaults(Map.of("IDENTITY_B", "two"), null), null, null);
        assertEquals("|" + dir, envAndCwd(), "default env replaced, cwd kept");
    }

    @Test
    void aRefusedApplyNamesTheFieldAndTheRuleAndChangesNothing() {
        String before = envAndCwd();
        GuestBootstrap withRlimits = new GuestBootstrap(null, GuestBootstrap.env(Map.of("IDENTITY_A", "refused")), null,
                "/", List.of(new GuestBootstrap.Rlimit("nofile", 64, 64)));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> client.applyIdentity(withRlimits, new byte[64], null));
        assertEquals(Core.ErrorKind.INVALID_PAYLOAD, e.kind());
        assertTrue(e.getMessage().contains("bootstrap.rlimits cannot change in a running guest"), e.getMessage());
        GuestBootstrap share = new GuestBootstrap(null, GuestBootstrap.env(Map.of("IDENTITY_A", "refused")), null, "/",
                null, null, null, List.of(new GuestBootstrap.Mount(GuestBootstrap.Mount.SHARE, "tag", "/mnt/share",
                        null, null, false, false, false, false)));
        e = assertThrows(ProtocolException.class, () -> client.applyIdentity(share, null, null));
        assertTrue(e.getMessage().contains("bootstrap.mounts[0] kind must be tmpfs"), e.getMessage());
        assertEquals(before, envAndCwd());
    }
}
