package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mindrot.jbcrypt.BCrypt;

/** Registries that demand credentials: htpasswd Basic auth, and Bearer tokens from a token server. */
class AuthTest {
    private static final TestImages.Image IMAGE = TestImages.oneLayer("amd64", "private");

    @Test
    void basicAuthWithConfiguredAndDockerCredentials(@TempDir Path dir, @TempDir Path h1, @TempDir Path h2,
            @TempDir Path h3, @TempDir Path h4) throws Exception {
        RegistryFixture.assumeInstalled();
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, "alice:" + BCrypt.hashpw("s3cret", BCrypt.gensalt(6)) + "\n");
        try (RegistryFixture registry = RegistryFixture.start(dir,
                "  htpasswd:\n    realm: msb-test\n    path: " + htpasswd + "\n")) {
            new RegistryPusher(registry.host(), "alice", "s3cret").push("private/app", "1", IMAGE);
            String ref = registry.host() + "/private/app:1";

            try (ImageEnv env = new ImageEnv(h1)) {
                MsbException e = assertThrows(MsbException.class, () -> env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null));
                assertEquals("registry " + registry.host() + " requires authentication (Basic) and no credentials"
                        + " are configured for it", e.getMessage());
            }
            try (ImageEnv env = new ImageEnv(h2, s -> s.withCredentials(List.of(registry.host() + "=alice:wrong"), null))) {
                MsbException e = assertThrows(MsbException.class, () -> env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null));
                assertTrue(e.getMessage().contains("refused access") && e.getMessage().contains("check the credentials"),
                        e.getMessage());
            }
            try (ImageEnv env = new ImageEnv(h3, s -> s.withCredentials(List.of(registry.host() + "=alice:s3cret"), null))) {
                ImageInfo info = env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                assertEquals(IMAGE.manifestDigest(), info.manifestDigest());
            }
            Path docker = dir.resolve("config.json");
            Files.writeString(docker, "{\"auths\":{\"http://" + registry.host() + "\":{\"auth\":\""
                    + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)) + "\"}}}");
            try (ImageEnv env = new ImageEnv(h4, s -> s.withCredentials(List.of(), docker))) {
                assertEquals(IMAGE.manifestDigest(), env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null).manifestDigest());
            }
        }
    }

    @Test
    void bearerTokenFlow(@TempDir Path dir, @TempDir Path h1, @TempDir Path h2) throws Exception {
        RegistryFixture.assumeInstalled();
        try (TokenServer tokens = TokenServer.start(dir, "bob", "hunter2");
                RegistryFixture registry = RegistryFixture.start(dir, tokens.authYaml())) {
            new RegistryPusher(registry.host(), "bob", "hunter2").push("team/tool", "v1", IMAGE);
            String ref = registry.host() + "/team/tool:v1";
            try (ImageEnv env = new ImageEnv(h1)) {
                MsbException e = assertThrows(MsbException.class, () -> env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null));
                assertEquals("token server " + tokens.realm() + " answered HTTP 401 (no credentials configured for "
                        + registry.host() + ")", e.getMessage());
            }
            int before = tokens.issued.get();
            try (ImageEnv env = new ImageEnv(h2, s -> s.withCredentials(List.of(registry.host() + "=bob:hunter2"), null))) {
                ImageInfo info = env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                assertEquals(IMAGE.manifestDigest(), info.manifestDigest());
                // one token for the whole pull: the cached Bearer header serves manifest, config and layer requests
                assertEquals(before + 1, tokens.issued.get());
            }
        }
    }
}
