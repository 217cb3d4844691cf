package io.msb.api.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's and Gogo's secret options: parsed into entries, errors naming the option and never a value. */
class SecretOptionsTest {
    private static NetworkConfig apply(SecretOptions o) {
        return o.applyTo(NetworkConfig.defaults(), Map.of("GH_TOKEN", "ghp-from-env")::get);
    }

    @Test
    void secretsWithHostsWildcardsAndAny() {
        NetworkConfig n = apply(new SecretOptions(List.of("API_KEY=sk=1@2@api.openai.com,*.openai.com",
                "ANY=v@*", "OTHER=w@any"), List.of("GH_TOKEN@api.github.com"), "block-and-terminate", true,
                List.of(443, 8443), List.of("pinned.example.com")));
        List<SecretEntry> e = n.secrets().entries();
        assertEquals("API_KEY", e.get(0).envVar());
        assertEquals("sk=1@2", e.get(0).value(), "the value runs to the last @");
        assertEquals(List.of(HostPattern.exact("api.openai.com"), HostPattern.wildcard("*.openai.com")),
                e.get(0).allowedHosts());
        assertEquals(List.of(HostPattern.ANY), e.get(1).allowedHosts());
        assertEquals(List.of(HostPattern.ANY), e.get(2).allowedHosts());
        assertEquals("ghp-from-env", e.get(3).value());
        assertEquals("$MSB_GH_TOKEN", e.get(3).placeholder());
        assertEquals(ViolationAction.BLOCK_AND_TERMINATE, n.secrets().onViolation());
        assertTrue(n.strict());
        assertTrue(n.tls().enabled());
        assertEquals(List.of(443, 8443), n.tls().interceptedPorts());
        assertEquals(List.of("pinned.example.com"), n.tls().bypass());
        // what the CLI sends carries the values; what anything else shows does not
        assertTrue(n.toMap(true).toString().contains("sk=1@2"));
        assertFalse(n.toMap().toString().contains("sk=1@2"));
    }

    @Test
    void strictAloneChangesNothingElse() {
        NetworkConfig n = apply(new SecretOptions(null, null, null, true, null, null));
        assertEquals(NetworkConfig.defaults().withStrict(true), n);
        assertEquals(NetworkConfig.defaults(), apply(new SecretOptions(null, null, null, false, null, null)));
    }

    @Test
    void errorsNameTheOptionAndNeverTheValue() {
        InvalidConfigException noHost = assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(List.of("K=hunter2"), null, null, false, null, null)));
        assertEquals("--secret", noHost.field());
        assertFalse(noHost.getMessage().contains("hunter2"), noHost.getMessage());
        InvalidConfigException badHost = assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(List.of("K=hunter2@bad_host!"), null, null, false, null, null)));
        assertEquals("--secret", badHost.field());
        assertFalse(badHost.getMessage().contains("hunter2"), badHost.getMessage());
        InvalidConfigException missing = assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(null, List.of("NOPE@x.com"), null, false, null, null)));
        assertEquals("invalid config: --secret-from-env: the environment has no variable NOPE (or it is empty)",
                missing.getMessage());
        assertEquals("--secret-on-violation", assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(List.of("K=v@x.com"), null, "explode", false, null, null))).field());
        assertEquals("--tls-intercept-port", assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(null, null, null, false, List.of(0), null))).field());
        InvalidConfigException twice = assertThrows(InvalidConfigException.class,
                () -> apply(new SecretOptions(List.of("K=v@x.com", "K=w@y.com"), null, null, false, null, null)));
        assertEquals("--secret", twice.field());
        assertEquals("--no-net", assertThrows(InvalidConfigException.class, () -> new SecretOptions(List.of("K=v@x"),
                null, null, false, null, null).applyTo(NetworkConfig.disabled(), k -> null)).field());
    }

    @Test
    void theBuildersSecret() {
        SandboxSpec s = SandboxSpec.builder("b").image("alpine").secret("TOKEN", "t0k", "api.example.com", "*.x.com")
                .secretsOnViolation(ViolationAction.BLOCK_AND_TERMINATE).strictNetwork(true).build();
        SecretEntry e = s.network().secrets().entries().get(0);
        assertEquals("t0k", e.value());
        assertEquals(List.of(HostPattern.exact("api.example.com"), HostPattern.wildcard("*.x.com")), e.allowedHosts());
        assertTrue(s.networkEnabled() && s.network().strict() && s.network().tlsEnabled());
        assertEquals(ViolationAction.BLOCK_AND_TERMINATE, s.network().secrets().onViolation());
    }
}
