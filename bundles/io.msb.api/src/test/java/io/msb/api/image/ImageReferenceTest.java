package io.msb.api.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.api.InvalidConfigException;
import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @Test
    void defaultRegistryAndTagLikeDocker() {
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("alpine").toString());
        assertEquals("docker.io/library/alpine:3.19", ImageReference.parse("alpine:3.19").toString());
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("library/alpine").toString());
        assertEquals("docker.io/bitnami/redis:7", ImageReference.parse("bitnami/redis:7").toString());
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("index.docker.io/library/alpine").toString());
        assertEquals("docker.io/library/alpine:latest", ImageReference.parse("registry-1.docker.io/alpine").toString());
        assertEquals("ghcr.io/org/tool/sub:v1", ImageReference.parse("ghcr.io/org/tool/sub:v1").toString());
        assertEquals("localhost/app:latest", ImageReference.parse("localhost/app").toString());
        ImageReference alpine = ImageReference.parse(" alpine ");
        assertEquals(ImageReference.Kind.REGISTRY, alpine.kind());
        assertEquals("docker.io", alpine.registry());
        assertEquals("library/alpine", alpine.repository());
        assertEquals("latest", alpine.tag());
        assertEquals("latest", alpine.manifestRef());
        assertNull(alpine.digest());
    }

    @Test
    void keepsWhatWasWrittenAndComparesNormalised() {
        ImageReference shortForm = ImageReference.parse("alpine");
        assertEquals("alpine", shortForm.text());
        assertEquals(ImageReference.parse("docker.io/library/alpine:latest"), shortForm);
        assertEquals(ImageReference.parse("docker.io/library/alpine:latest").hashCode(), shortForm.hashCode());
        assertNotEquals(ImageReference.parse("alpine:3"), shortForm);
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
        assertNull(onlyDigest.tag());
        assertEquals("docker.io/library/alpine@" + D, onlyDigest.toString());
        assertEquals("localhost", ImageReference.parse("localhost:5000/x").hostName());
        assertEquals("::1", ImageReference.parse("[::1]:5000/x").hostName());
        assertEquals("[::1]:5000", ImageReference.parse("[::1]:5000/x").registry());
        assertEquals("example.com", ImageReference.hostName("example.com:443"));
        assertEquals("example.com", ImageReference.hostName("example.com"));
    }

    @Test
    void builtinAndLoadedDigestForms() {
        ImageReference busybox = ImageReference.parse("builtin:busybox");
        assertEquals(ImageReference.Kind.BUILTIN, busybox.kind());
        assertEquals("busybox", busybox.repository());
        assertNull(busybox.registry());
        assertNull(busybox.hostName());
        assertEquals("builtin:busybox", busybox.toString());
        assertEquals("builtin:busybox", busybox.familiar());
        ImageReference loaded = ImageReference.parse(D);
        assertEquals(ImageReference.Kind.DIGEST, loaded.kind());
        assertEquals(D, loaded.digest());
        assertEquals(D, loaded.toString());
    }

    @Test
    void familiarFormForArchives() {
        assertEquals("alpine:latest", ImageReference.parse("alpine").familiar());
        assertEquals("user/app:2", ImageReference.parse("user/app:2").familiar());
        assertEquals("127.0.0.1:5000/app:latest", ImageReference.parse("127.0.0.1:5000/app").familiar());
    }

    @Test
    void badInputNamesFieldTextAndRule() {
        InvalidConfigException upper = assertThrows(InvalidConfigException.class,
                () -> ImageReference.parse("image.reference", "Foo:bar"));
        assertEquals("image.reference", upper.field());
        assertEquals("invalid config: image.reference: \"Foo:bar\" is not a valid image reference: invalid repository"
                + " component 'Foo' (lowercase letters and digits, separated by '.', '_', '__' or '-')", upper.getMessage());
        assertEquals("image", assertThrows(InvalidConfigException.class, () -> ImageReference.parse("Alpine")).field());
        assertRule("alpine:-bad", "invalid tag '-bad'");
        assertRule("alpine@sha256:abc", "the digest must be sha256:<64 lowercase hex digits>");
        assertRule("a//b", "invalid repository component ''");
        assertRule("bad_host:5000/x", "invalid registry host 'bad_host:5000'");
        String longName = "x/" + "a".repeat(300);
        assertEquals("invalid config: image: \"" + longName.substring(0, 200) + "…\" is not a valid image reference:"
                + " the repository name must be 1..255 characters",
                assertThrows(InvalidConfigException.class, () -> ImageReference.parse(longName)).getMessage());
        assertRule("builtin:Busy Box", "a builtin image name is lowercase letters and digits joined by '-'");
        assertEquals("invalid config: image: an image reference must not be empty",
                assertThrows(InvalidConfigException.class, () -> ImageReference.parse(" ")).getMessage());
        assertThrows(InvalidConfigException.class, () -> ImageReference.parse(null));
    }

    private static void assertRule(String text, String rule) {
        String message = assertThrows(InvalidConfigException.class, () -> ImageReference.parse(text)).getMessage();
        assertEquals("invalid config: image: \"" + text + "\" is not a valid image reference: " + rule,
                message.replaceFirst(" \\((lowercase|letters).*\\)$", ""));
    }
}
