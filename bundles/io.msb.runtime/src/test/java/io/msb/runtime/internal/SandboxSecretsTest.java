package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxSpec;
import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretSource;
import io.msb.api.network.SecretsConfig;
import io.msb.api.spi.SecretStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Values into the store at create, references resolved at attach, errors that name the field and no value. */
class SandboxSecretsTest {
    static final String VALUE = "sk-live-0123456789abcdef";

    /** A SecretStore in memory. */
    static final class MemoryStore implements SecretStore {
        final Map<String, String> values = new TreeMap<>();

        @Override
        public synchronized void put(String reference, String value) {
            values.put(reference, value);
        }

        @Override
        public synchronized Optional<String> get(String reference) {
            return Optional.ofNullable(values.get(reference));
        }

        @Override
        public synchronized void removeAll(String prefix) {
            values.keySet().removeIf(k -> k.startsWith(prefix));
        }
    }

    private final MemoryStore store = new MemoryStore();
    private final Map<String, String> env = Map.of("SERVER_TOKEN", "from-env");
    private final SandboxSecrets secrets = new SandboxSecrets(() -> store, env::get);

    static SandboxSpec spec(String name, SecretEntry... entries) {
        return SandboxSpec.builder(name).image("alpine").network(NetworkConfig.defaults()
                .withSecrets(new SecretsConfig(List.of(entries), null))).build();
    }

    static SecretEntry inline(String var) {
        return SecretEntry.of(var, VALUE, List.of(HostPattern.exact("api.example.com")));
    }

    @Test
    void inlineValuesMoveToTheStoreAndTheSpecKeepsReferences() {
        SandboxSpec kept = secrets.keep(spec("box", inline("TOKEN")));
        SecretEntry e = kept.network().secrets().entries().get(0);
        assertEquals(SecretSource.store("sandbox/box/TOKEN"), e.source());
        assertEquals("", e.value());
        assertEquals("$MSB_TOKEN", e.placeholder());
        assertEquals(Map.of("sandbox/box/TOKEN", VALUE), store.values);
        assertFalse(SpecJson.write(kept).contains(VALUE), SpecJson.write(kept));

        NetworkConfig resolved = secrets.resolve(kept.network());
        SecretEntry r = resolved.secrets().entries().get(0);
        assertEquals(VALUE, r.value());
        assertNull(r.source());
        assertEquals(e.allowedHosts(), r.allowedHosts());
    }

    @Test
    void envSourcesAreReadFromTheServersEnvironmentAtAttach() {
        SecretEntry fromEnv = new SecretEntry("GH", null, SecretSource.env("SERVER_TOKEN"), null,
                List.of(HostPattern.ANY), null, null, true);
        SandboxSpec kept = secrets.keep(spec("box", fromEnv));
        assertEquals(SecretSource.env("SERVER_TOKEN"), kept.network().secrets().entries().get(0).source());
        assertTrue(store.values.isEmpty(), "an env value is never stored");
        assertEquals("from-env", secrets.resolve(kept.network()).secrets().entries().get(0).value());
    }

    @Test
    void aMissingEnvironmentVariableIsNamedWithItsField() {
        SecretEntry missing = new SecretEntry("GH", null, SecretSource.env("NO_SUCH_VAR"), null,
                List.of(HostPattern.ANY), null, null, true);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> secrets.checkRequested(spec("box", inline("A"), missing)));
        assertEquals("network.secrets.secrets[1].source", e.field());
        assertTrue(e.getMessage().contains("NO_SUCH_VAR"), e.getMessage());
        assertThrows(InvalidConfigException.class, () -> secrets.resolve(spec("box", missing).network()));
    }

    @Test
    void onlyTheVariablesTheRuntimeNamesAreReadable() {
        Map<String, String> server = Map.of("MSB_SECRET_GH", "gh-1", "AWS_SECRET_ACCESS_KEY", "aws-1", "GH", "gh-2");
        var readable = SandboxSecrets.readable(new String[] {"MSB_SECRET_*", "GH"}, server::get);
        assertEquals("gh-1", readable.apply("MSB_SECRET_GH"));
        assertEquals("gh-2", readable.apply("GH"));
        assertNull(readable.apply("AWS_SECRET_ACCESS_KEY"), "a variable the setting does not name");
        assertNull(SandboxSecrets.readable(new String[0], server::get).apply("GH"), "none by default");
        SandboxSecrets limited = new SandboxSecrets(() -> store, readable);
        SecretEntry aws = new SecretEntry("K", null, SecretSource.env("AWS_SECRET_ACCESS_KEY"), null,
                List.of(HostPattern.ANY), null, null, true);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> limited.checkRequested(spec("box", aws)));
        assertTrue(e.getMessage().contains("AWS_SECRET_ACCESS_KEY that sandboxes may read")
                && e.getMessage().contains("secretEnvVariables") && !e.getMessage().contains("aws-1"), e.getMessage());
    }

    @Test
    void aCallerCannotNameTheStore() {
        SecretEntry other = new SecretEntry("X", null, SecretSource.store("sandbox/victim/TOKEN"), null,
                List.of(HostPattern.ANY), null, null, true);
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> secrets.checkRequested(spec("box", other)));
        assertEquals("network.secrets.secrets[0].source", e.field());
    }

    @Test
    void aSnapshotsCopyOutlivesItsSandboxAndANewSandboxGetsItsOwn() {
        SandboxSpec kept = secrets.keep(spec("box", inline("TOKEN")));
        NetworkConfig snap = secrets.copyTo(kept.network(), "snapshot/s1/");
        assertEquals(SecretSource.store("snapshot/s1/TOKEN"), snap.secrets().entries().get(0).source());
        secrets.removeAll(SandboxSecrets.prefix("box"));
        SandboxSpec fromSnapshot = secrets.keep(SandboxSpec.builder("box2").image("alpine").network(snap).build());
        assertEquals(SecretSource.store("sandbox/box2/TOKEN"), fromSnapshot.network().secrets().entries().get(0).source());
        assertEquals(Map.of("snapshot/s1/TOKEN", VALUE, "sandbox/box2/TOKEN", VALUE), store.values);
    }

    @Test
    void aReferenceWhoseValueIsGoneIsNamed() {
        SandboxSpec kept = secrets.keep(spec("box", inline("TOKEN")));
        store.values.clear();
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> secrets.resolve(kept.network()));
        assertEquals("network.secrets.secrets[0].source", e.field());
        assertFalse(e.getMessage().contains(VALUE));
    }
}
