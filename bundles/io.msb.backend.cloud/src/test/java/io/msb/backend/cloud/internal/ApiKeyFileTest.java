package io.msb.backend.cloud.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyFileTest {
    @TempDir
    Path home;

    @Test
    void anEnteredKeyIsMovedToAFileOnlyItsOwnerReads() throws IOException {
        try (RemoteMsbFakeForTests fake = new RemoteMsbFakeForTests()) {
            CloudBackendConfig config = fake.config(Map.of("_apiKey", " msb_secret ", "msb_backend", "far"));
            ApiKeyFile file = ApiKeyFile.resolve(config, home);
            assertEquals(home.resolve("backends/far/api-key"), file.file());

            assertEquals("msb_secret", file.key(config, Map.of(), null));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.file())));
            // without the entered key (as after it was removed from the configuration), the file's is used
            assertEquals("msb_secret", file.key(fake.config(Map.of("msb_backend", "far")), Map.of(), null));
        }
    }

    @Test
    void noKeyNamesWhereToPutIt() throws IOException {
        try (RemoteMsbFakeForTests fake = new RemoteMsbFakeForTests()) {
            ApiKeyFile file = ApiKeyFile.resolve(fake.config(Map.of()), home);
            IllegalStateException e = assertThrows(IllegalStateException.class, file::read);
            assertTrue(e.getMessage().contains(file.file().toString()), e.getMessage());

            Files.createDirectories(file.file().getParent());
            Files.writeString(file.file(), "two words");
            IllegalStateException spaced = assertThrows(IllegalStateException.class, file::read);
            assertFalse(spaced.getMessage().contains("two words"), "never the key in a message");
        }
    }
}
