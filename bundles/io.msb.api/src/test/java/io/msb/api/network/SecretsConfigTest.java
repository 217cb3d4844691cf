package io.msb.api.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretsConfigTest {
    private static final String VALUE = "sk-live-8c1f0e";

    private static NetworkConfig network(Object secrets) {
        return NetworkConfig.fromMap(Map.of("secrets", secrets));
    }

    private static String error(Object secrets) {
        return assertThrows(InvalidConfigException.class, () -> network(secrets)).getMessage()
                .replaceFirst("^invalid config: ", "");
    }

    /** The cloud form exactly as the 0.6.18 SDK sends one secret (§2.3 of the facts). */
    @Test
    void theSdksCloudFormIsRead() {
        SecretsConfig s = network(Map.of("entries", List.of(Map.of("env_var", "API_KEY", "value", VALUE,
                "placeholder", "$MSB_API_KEY", "allowed_hosts", List.of(Map.of("type", "exact", "value", "api.x.com"),
                        Map.of("type", "wildcard", "value", "*.x.org")),
                "injection", Map.of("headers", true, "basic_auth", true, "query_params", false, "body", false),
                "require_tls_identity", true)), "on_violation", Map.of("type", "block_and_log"))).secrets();
        SecretEntry e = s.entries().get(0);
        assertEquals(VALUE, e.value());
        assertTrue(e.allows("API.x.com."));
        assertTrue(e.allows("a.b.x.org"));
        assertFalse(e.allows("x.org"), "a wildcard covers the names below it only");
        assertFalse(e.allows("evil.com"));
        assertEquals(ViolationAction.BLOCK_AND_LOG, s.actionFor(e));
    }

    @Test
    void theLocalFormRoundTripsWithoutItsValue() {
        SecretsConfig s = network(Map.of("secrets", List.of(Map.of("env_var", "TOKEN", "value", VALUE,
                "allowed_hosts", List.of(Map.of("exact", "h.example"), "any"),
                "on_violation", Map.of("passthrough", List.of(Map.of("wildcard", "*.internal")))),
                Map.of("env_var", "GH", "source", Map.of("type", "env", "var", "GH_TOKEN"),
                        "allowed_hosts", List.of(Map.of("Exact", "github.com")))),
                "on_violation", "BlockAndTerminate")).secrets();
        assertEquals("$MSB_TOKEN", s.entries().get(0).placeholder());
        assertTrue(s.entries().get(0).onViolation().passesThrough("a.internal"));
        assertEquals(ViolationAction.BLOCK_AND_TERMINATE, s.onViolation());
        Map<String, Object> out = s.toMap();
        assertFalse(out.toString().contains(VALUE), out.toString());
        assertFalse(s.toString().contains(VALUE));
        assertEquals("<redacted>", ((Map<?, ?>) ((List<?>) out.get("secrets")).get(0)).get("value"));
        assertNull(((Map<?, ?>) ((List<?>) out.get("secrets")).get(1)).get("value"));
        assertTrue(error(out).contains("redacted value"), "a redacted form cannot be created from");
        assertEquals(s, network(s.toMap(true)).secrets());
        assertEquals("block-and-terminate", out.get("on_violation"));
    }

    @Test
    void badEntriesAreRefusedNamingTheField() {
        assertEquals("network.secrets.entries[0].allowed_hosts: needs at least one host (or \"any\", which lets the "
                + "secret go anywhere)", error(Map.of("entries", List.of(Map.of("env_var", "K", "value", "v")))));
        assertEquals("network.secrets.entries[0].value: give exactly one of value and source",
                error(Map.of("entries", List.of(Map.of("env_var", "K", "allowed_hosts", List.of("any"))))));
        assertEquals("network.secrets.entries[0].env_var: must not contain '=' or NUL",
                error(Map.of("entries", List.of(Map.of("env_var", "A=B", "value", "v", "allowed_hosts", List.of("any"))))));
        assertEquals("network.secrets.entries[0].placeholder: must not contain NUL, CR or LF",
                error(Map.of("entries", List.of(Map.of("env_var", "K", "value", "v", "placeholder", "a\r\nb",
                        "allowed_hosts", List.of("any"))))));
        assertEquals("network.secrets.secrets[1].env_var: names K again", error(Map.of("secrets", List.of(
                Map.of("env_var", "K", "value", "v", "allowed_hosts", List.of("any")),
                Map.of("env_var", "K", "value", "w", "allowed_hosts", List.of("any"))))));
        assertTrue(error(Map.of("entries", List.of(Map.of("env_var", "K", "value", "v",
                "allowed_hosts", List.of(Map.of("type", "wildcard", "value", "x.com"))))))
                .startsWith("network.secrets.entries[0].allowed_hosts[0].value: a wildcard must start with"));
        assertTrue(error(Map.of("entries", List.of(), "on_violation", Map.of("type", "explode")))
                .startsWith("network.secrets.on_violation.type: must be block"));
    }

    @Test
    void tlsConfigIsReadWithMicrosandboxsDefaults() {
        TlsConfig t = NetworkConfig.fromMap(Map.of("tls", Map.of("enabled", true, "intercepted_ports", List.of(443, 8443),
                "scoped_verify_upstream", List.of(Map.of("pattern", "*.lab", "verify", false)),
                "ca", Map.of("cert_path", "/etc/msb/ca.pem", "key_path", "/etc/msb/ca.key"),
                "cache", Map.of("capacity", 10)))).tls();
        assertEquals(List.of(443, 8443), t.interceptedPorts());
        assertFalse(t.verifies("x.lab"));
        assertTrue(t.verifies("x.com"));
        assertEquals(24, t.cacheValidityHours());
        assertEquals(t, NetworkConfig.fromMap(Map.of("tls", t.toMap())).tls());
        assertEquals(TlsConfig.DEFAULT, NetworkConfig.fromMap(Map.of("tls", Map.of())).tls());
        assertEquals("network.tls.intercepted_ports[0]: must be a port 1..65535, got 0", assertThrows(
                InvalidConfigException.class, () -> NetworkConfig.fromMap(Map.of("tls", Map.of("intercepted_ports",
                        List.of(0))))).getMessage().replaceFirst("^invalid config: ", ""));
    }
}
