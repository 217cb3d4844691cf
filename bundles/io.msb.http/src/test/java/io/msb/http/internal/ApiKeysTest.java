package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bearer keys: configured ones win; otherwise one key file, made once with owner-only permissions. */
class ApiKeysTest {
    @TempDir
    Path home;

    @Test
    void aKeyFileIsMadeOnceOwnerOnlyAndAccepted() throws Exception {
        ApiKeys keys = ApiKeys.of(new String[0], home.resolve("nested"));
        Path file = home.resolve("nested").resolve(ApiKeys.FILE);
        String key = Files.readString(file);
        assertTrue(key.matches("msb_[A-Za-z0-9_-]{43}"), key);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(keys.accepts("Bearer " + key));
        assertTrue(keys.accepts("bearer " + key), "the scheme is case-insensitive");
        assertFalse(keys.accepts(key), "the scheme is required");
        assertFalse(keys.accepts("Bearer " + key + "x"));
        assertFalse(keys.accepts("Basic " + key));
        assertFalse(keys.accepts(null));

        ApiKeys again = ApiKeys.of(null, home.resolve("nested"));
        assertEquals(key, Files.readString(file), "the key survives restarts");
        assertTrue(again.accepts("Bearer " + key));
    }

    /** The servlet and the agent WebSocket filter read the key file as they activate, possibly at once. */
    @Test
    void componentsStartingTogetherGetTheSameKey() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 200; round++) {
                Path dir = home.resolve("round" + round);
                var first = pool.submit(() -> ApiKeys.of(null, dir));
                var second = pool.submit(() -> ApiKeys.of(null, dir));
                ApiKeys a = first.get();
                ApiKeys b = second.get(); // neither saw the file before its key was in it
                String key = Files.readString(dir.resolve(ApiKeys.FILE));
                assertTrue(a.accepts("Bearer " + key), "round " + round);
                assertTrue(b.accepts("Bearer " + key), "round " + round);
                try (var left = Files.list(dir)) {
                    assertEquals(1, left.count(), "only the key file is left");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void configuredKeysReplaceTheFile() {
        ApiKeys keys = ApiKeys.of(new String[] {" k1 ", "k2", ""}, home);
        assertTrue(keys.accepts("Bearer k1"));
        assertTrue(keys.accepts("Bearer k2"));
        assertFalse(keys.accepts("Bearer "));
        assertFalse(Files.exists(home.resolve(ApiKeys.FILE)), "no key file when keys are configured");
    }

    @Test
    void anEmptyKeyFileIsAnError() throws Exception {
        Files.writeString(home.resolve(ApiKeys.FILE), "\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ApiKeys.of(null, home));
        assertTrue(e.getMessage().endsWith("the API key file is empty; delete it to make a new key"), e.getMessage());
    }
}
