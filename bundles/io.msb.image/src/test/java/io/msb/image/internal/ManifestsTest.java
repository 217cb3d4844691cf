package io.msb.image.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestsTest {
    private static String d(char c) {
        return "sha256:" + String.valueOf(c).repeat(64);
    }

    private static Manifests.Index index(String... platforms) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_INDEX + "\",\"manifests\":[");
        char c = 'a';
        for (int i = 0; i < platforms.length; i++) {
            String[] p = platforms[i].split("/");
            json.append(i > 0 ? "," : "").append("{\"mediaType\":\"").append(Manifests.OCI_MANIFEST)
                    .append("\",\"digest\":\"").append(d(c++)).append("\",\"size\":10,\"platform\":{\"os\":\"")
                    .append(p[0]).append("\",\"architecture\":\"").append(p[1]).append("\"")
                    .append(p.length > 2 ? ",\"variant\":\"" + p[2] + "\"" : "").append("}}");
        }
        json.append("]}");
        return (Manifests.Index) Manifests.parse(json.toString().getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void selectsPlatformVariantAware() {
        Manifests.Index idx = index("linux/arm64/v8", "linux/amd64/v3", "linux/amd64", "unknown/unknown");
        assertEquals(d('c'), Manifests.select(idx, Manifests.Platform.parse("linux/amd64")).digest());
        assertEquals(d('b'), Manifests.select(idx, Manifests.Platform.parse("linux/amd64/v3")).digest());
        assertEquals(d('c'), Manifests.select(idx, Manifests.Platform.parse("linux/amd64/v4")).digest());
        assertEquals(d('a'), Manifests.select(idx, Manifests.Platform.parse("linux/arm64")).digest());
        MsbException none = assertThrows(MsbException.class,
                () -> Manifests.select(index("linux/arm64"), Manifests.Platform.parse("linux/amd64")));
        assertTrue(none.getMessage().contains("no manifest for platform linux/amd64 (offers [linux/arm64])"), none.getMessage());
    }

    @Test
    void rejectsSchema1AndBadDescriptors() {
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parse(
                "{\"schemaVersion\":1,\"fsLayers\":[]}".getBytes(StandardCharsets.UTF_8), null))
                .getMessage().contains("schema 1 manifests are not supported"));
        String badDigest = "{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST
                + "\",\"config\":{\"digest\":\"md5:00\",\"size\":1},\"layers\":[]}";
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parse(badDigest.getBytes(StandardCharsets.UTF_8), null))
                .getMessage().contains("config digest must be sha256"));
        String negative = "{\"schemaVersion\":2,\"mediaType\":\"" + Manifests.OCI_MANIFEST
                + "\",\"config\":{\"digest\":\"" + d('a') + "\",\"size\":-1},\"layers\":[]}";
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parse(negative.getBytes(StandardCharsets.UTF_8), null))
                .getMessage().contains("size must be a non-negative integer"));
        String foreign = "{\"schemaVersion\":2,\"config\":{\"digest\":\"" + d('a') + "\",\"size\":1},\"layers\":[{\"mediaType\":"
                + "\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" + d('b') + "\",\"size\":1}]}";
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parse(foreign.getBytes(StandardCharsets.UTF_8), null))
                .getMessage().contains("unsupported media type"));
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parse("[1]".getBytes(StandardCharsets.UTF_8), null))
                .getMessage().contains("not a JSON object"));
    }

    @Test
    void parsesConfigIntoRuntimeDefaults() {
        TestImages.Image img = TestImages.oneLayer("amd64");
        Manifests.Config c = Manifests.parseConfig(img.config().data());
        assertEquals(List.of("PATH=/usr/bin:/bin", "GREETING=hello amd64"), c.runtime().env());
        assertEquals(List.of("/bin/sh", "-c"), c.runtime().entrypoint());
        assertEquals(List.of("cat /hello.txt"), c.runtime().cmd());
        assertEquals("/srv", c.runtime().workingDir());
        assertEquals("1000:1000", c.runtime().user());
        assertEquals(List.of("8080/tcp"), c.runtime().exposedPorts());
        assertEquals(1, c.diffIds().size());
        assertEquals(c.runtime(), Manifests.configFromJson(Manifests.toJson(c.runtime())));
        assertTrue(assertThrows(MsbException.class, () -> Manifests.parseConfig(
                "{\"config\":{\"Env\":\"A=1\"}}".getBytes(StandardCharsets.UTF_8))).getMessage()
                .contains("config Env must be an array of strings"));
    }
}
