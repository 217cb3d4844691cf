package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.spi.SecretStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Secret values through {@link SecretStore} on a real H2 file: encrypted at rest under a 0600 key file. */
class SecretStoreTest extends WithOpenStore {
    private static final String VALUE = "sk-test-7f3a9c1e55d04b2a";

    @Test
    void keepsReplacesAndForgetsValuesByPrefix() {
        SecretStore s = db.secrets();
        s.put("sandbox/a/TOKEN", VALUE);
        s.put("sandbox/a/OTHER", "second");
        s.put("sandbox/ab/TOKEN", "not a's");
        assertEquals(Optional.of(VALUE), s.get("sandbox/a/TOKEN"));
        s.put("sandbox/a/TOKEN", "replaced");
        assertEquals(Optional.of("replaced"), s.get("sandbox/a/TOKEN"));
        s.removeAll("sandbox/a/");
        assertEquals(Optional.empty(), s.get("sandbox/a/TOKEN"));
        assertEquals(Optional.empty(), s.get("sandbox/a/OTHER"));
        assertEquals(Optional.of("not a's"), s.get("sandbox/ab/TOKEN"));
    }

    @Test
    void aPrefixWithLikeWildcardsMatchesOnlyItself() {
        SecretStore s = db.secrets();
        s.put("sandbox/a_b/X", "1");
        s.put("sandbox/axb/X", "2");
        s.removeAll("sandbox/a_b/");
        assertEquals(Optional.empty(), s.get("sandbox/a_b/X"));
        assertEquals(Optional.of("2"), s.get("sandbox/axb/X"));
    }

    @Test
    void theValueIsNeverInTheDatabaseFileAndTheKeyIsPrivate() throws Exception {
        db.secrets().put("sandbox/a/TOKEN", VALUE);
        db.close();
        db = H2Store.open(home, 4); // a new process: the key is read from its file
        assertEquals(Optional.of(VALUE), db.secrets().get("sandbox/a/TOKEN"));
        Path key = home.resolve(JdbcSecretStore.KEY_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(32, Files.size(key));
        byte[] needle = VALUE.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.walk(home)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(contains(Files.readAllBytes(f), needle), "the value is in clear text in " + f);
            }
        }
        try (Stream<Path> files = Files.list(home)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".secret-key-")), "temp key left");
        }
    }

    @Test
    void aValueBoundToAnotherReferenceOrKeyDoesNotDecryptAndTheErrorHoldsNoValue() throws Exception {
        db.secrets().put("sandbox/a/TOKEN", VALUE);
        StoreFixture.sql(home, "UPDATE secrets SET reference = 'sandbox/b/TOKEN'");
        MsbException e = assertThrows(MsbException.class, () -> db.secrets().get("sandbox/b/TOKEN"));
        assertTrue(e.getMessage().startsWith("cannot decrypt secret sandbox/b/TOKEN"), e.getMessage());
        assertFalse(e.getMessage().contains(VALUE));
    }

    @Test
    void twoStoresOfOneHomeAgreeOnTheKey() {
        byte[] a = JdbcSecretStore.loadOrCreateKey(home.resolve("k"));
        byte[] b = JdbcSecretStore.loadOrCreateKey(home.resolve("k"));
        assertArrayEquals(a, b);
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
