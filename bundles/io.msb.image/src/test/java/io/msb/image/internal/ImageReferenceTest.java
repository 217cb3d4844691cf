package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @Test
    void normalisesLikeDocker() {
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("alpine").toString());
        assertEquals("docker.io/library/alpine:3.19", ImageReference.parse("alpine:3.19").toString());
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("library/alpine").toString());
        assertEquals("docker.io/bitnami/redis:7", ImageReference.parse("bitnami/redis:7").toString());
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("index.docker.io/library/alpine").toString());
        assertEquals("ghcr.io/org/tool/sub:v1", ImageReference.parse("ghcr.io/org/tool/sub:v1").toString());
        assertEquals("localhost/app:latest", ImageReference.parse("localhost/app").toString());
    }

    @Test
    void registryPortsAndDigests() {
        ImageReference r = ImageReference.parse("127.0.0.1:5000/team/app:1.0@" + D);
        assertEquals("127.0.0.1:5000", r.registry());
        assertEquals("team/app", r.repository());
        assertEquals("1.0", r.tag());
        assertEquals(D, r.digest());
        assertEquals(D, r.manifestRef());
        assertEquals("127.0.0.1", r.hostName());
        ImageReference onlyDigest = ImageReference.parse("alpine@" + D);
        assertEquals(null, onlyDigest.tag());
        assertEquals("docker.io/library/alpine@" + D, onlyDigest.toString());
        assertEquals("localhost", ImageReference.parse("localhost:5000/x").hostName());
        assertEquals("::1", ImageReference.parse("[::1]:5000/x").hostName());
    }

    @Test
    void familiarFormForArchives() {
        assertEquals("alpine:latest", ImageReference.parse("alpine").familiar());
        assertEquals("user/app:2", ImageReference.parse("user/app:2").familiar());
        assertEquals("127.0.0.1:5000/app:latest", ImageReference.parse("127.0.0.1:5000/app").familiar());
    }

    @Test
    void badInputNamesFieldAndRule() {
        InvalidConfigException upper = assertThrows(InvalidConfigException.class, () -> ImageReference.parse("Alpine"));
        assertEquals("image", upper.field());
        assertTrue(upper.getMessage().contains("invalid repository component 'Alpine'"), upper.getMessage());
        assertTrue(assertThrows(InvalidConfigException.class, () -> ImageReference.parse("alpine:-bad"))
                .getMessage().contains("invalid tag"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> ImageReference.parse("alpine@sha256:abc"))
                .getMessage().contains("image digest must be sha256:<64 lowercase hex digits>"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> ImageReference.parse(""))
                .getMessage().contains("must not be empty"));
        assertTrue(assertThrows(InvalidConfigException.class, () -> ImageReference.parse("a//b"))
                .getMessage().contains("invalid repository component ''"));
    }

    @Test
    void loopbackDetection() {
        assertTrue(RegistryClient.isLoopback("127.0.0.1"));
        assertTrue(RegistryClient.isLoopback("127.8.9.10"));
        assertTrue(RegistryClient.isLoopback("localhost"));
        assertTrue(RegistryClient.isLoopback("::1"));
        assertEquals(false, RegistryClient.isLoopback("128.0.0.1"));
        assertEquals(false, RegistryClient.isLoopback("127.0.0.1.example.com"));
    }
}
