package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {
    @Test
    void configuredEntriesWinAndAreValidated() {
        Credentials c = new Credentials(List.of("reg.example:5000=u:p:with:colons"), null);
        assertEquals(Optional.of(new Credentials.Login("u", "p:with:colons")), c.lookup("reg.example:5000"));
        assertEquals(Optional.empty(), c.lookup("other.example"));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> new Credentials(List.of("nopassword"), null));
        assertEquals("credentials", e.field());
        assertTrue(e.getMessage().contains("registry=username:password"));
    }

    @Test
    void dockerConfigAuthsForHubAndPlainHosts(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
                  "registry.example:5000": {"username": "plain", "password": "pw"}
                }}""");
        Credentials c = new Credentials(List.of(), config);
        assertEquals(Optional.of(new Credentials.Login("hub", "hubpw")), c.lookup("docker.io"));
        assertEquals(Optional.of(new Credentials.Login("plain", "pw")), c.lookup("registry.example:5000"));
        assertEquals(Optional.empty(), c.lookup("ghcr.io"));
    }

    @Test
    void credentialHelperIsAskedWithTheServerUrl(@TempDir Path dir) throws Exception {
        Path helper = dir.resolve("docker-credential-msbtest");
        // a real helper program: reads the server URL on stdin, answers JSON, fails for unknown servers
        Files.writeString(helper, """
                #!/bin/sh
                read server
                if [ "$1" = get ] && [ "$server" = "https://index.docker.io/v1/" ]; then
                  echo '{"ServerURL":"'"$server"'","Username":"helped","Secret":"tok"}'
                else
                  echo "credentials not found in native keychain"; exit 1
                fi
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"credHelpers\":{\"docker.io\":\"msbtest\",\"ghcr.io\":\"msbtest\"},"
                + "\"auths\":{\"ghcr.io\":{\"auth\":\"Z2g6ZmFsbGJhY2s=\"}}}");
        Credentials c = new Credentials(List.of(), config, dir);
        assertEquals(Optional.of(new Credentials.Login("helped", "tok")), c.lookup("docker.io"));
        // the helper knows nothing about ghcr.io: the auths entry is used
        assertEquals(Optional.of(new Credentials.Login("gh", "fallback")), c.lookup("ghcr.io"));
    }
}
