package io.msb.image.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Builds real OCI images (gzip tar layers, config, manifest, index) in memory for the tests to push. */
final class TestImages {
    record Blob(String mediaType, byte[] data) {
        String digest() {
            return Digests.of(data);
        }
    }

    record Image(Blob manifest, Blob config, List<Blob> layers) {
        String manifestDigest() {
            return manifest.digest();
        }

        long layerBytes() {
            return layers.stream().mapToLong(b -> b.data().length).sum();
        }
    }

    record IndexImage(Blob index, Map<String, Image> byPlatform) {
    }

    private TestImages() {
    }

    /** A gzip layer holding {@code files} (name → content). */
    static Blob layer(Map<String, byte[]> files, List<String> diffIds) {
        try {
            ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
            try (Tar.Writer tar = new Tar.Writer(tarBytes)) {
                for (var e : files.entrySet()) {
                    tar.file(e.getKey(), e.getValue());
                }
            }
            diffIds.add(Digests.of(tarBytes.toByteArray()));
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                out.write(tarBytes.toByteArray());
            }
            return new Blob(Manifests.OCI_LAYER + "+gzip", gz.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A layer of {@code bytes} incompressible random bytes (seeded, so reproducible). */
    static Map<String, byte[]> randomFile(String name, int bytes, long seed) {
        byte[] data = new byte[bytes];
        new Random(seed).nextBytes(data);
        return Map.of(name, data);
    }

    static Image image(String arch, List<Map<String, byte[]>> layerFiles) {
        List<String> diffIds = new ArrayList<>();
        List<Blob> layers = new ArrayList<>();
        for (Map<String, byte[]> files : layerFiles) {
            layers.add(layer(files, diffIds));
        }
        var mapper = Manifests.json();
        var config = mapper.createObjectNode();
        config.put("architecture", arch).put("os", "linux");
        var c = config.putObject("config");
        c.putArray("Env").add("PATH=/usr/bin:/bin").add("GREETING=hello " + arch);
        c.putArray("Entrypoint").add("/bin/sh").add("-c");
        c.putArray("Cmd").add("cat /hello.txt");
        c.put("WorkingDir", "/srv");
        c.put("User", "1000:1000");
        c.putObject("ExposedPorts").putObject("8080/tcp");
        var rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        diffIds.forEach(rootfs.withArray("diff_ids")::add);
        Blob configBlob = new Blob(Manifests.OCI_CONFIG, Manifests.toJson(config).getBytes(StandardCharsets.UTF_8));
        var manifest = mapper.createObjectNode();
        manifest.put("schemaVersion", 2).put("mediaType", Manifests.OCI_MANIFEST);
        manifest.set("config", descriptor(configBlob));
        var list = manifest.putArray("layers");
        layers.forEach(l -> list.add(descriptor(l)));
        Blob manifestBlob = new Blob(Manifests.OCI_MANIFEST, Manifests.toJson(manifest).getBytes(StandardCharsets.UTF_8));
        return new Image(manifestBlob, configBlob, layers);
    }

    static Image oneLayer(String arch) {
        return oneLayer(arch, "hello from " + arch);
    }

    static Image oneLayer(String arch, String text) {
        return image(arch, List.of(Map.of("hello.txt", (text + "\n").getBytes(StandardCharsets.UTF_8))));
    }

    /** An index (Docker manifest list flavour) offering linux/amd64 and linux/arm64/v8. */
    static IndexImage twoPlatforms() {
        Image amd64 = oneLayer("amd64", "multi-platform amd64");
        Image arm64 = oneLayer("arm64", "multi-platform arm64");
        var index = Manifests.json().createObjectNode();
        index.put("schemaVersion", 2).put("mediaType", Manifests.DOCKER_LIST);
        var list = index.putArray("manifests");
        var a = descriptor(arm64.manifest());
        a.putObject("platform").put("os", "linux").put("architecture", "arm64").put("variant", "v8");
        list.add(a);
        var b = descriptor(amd64.manifest());
        b.putObject("platform").put("os", "linux").put("architecture", "amd64");
        list.add(b);
        Blob indexBlob = new Blob(Manifests.DOCKER_LIST, Manifests.toJson(index).getBytes(StandardCharsets.UTF_8));
        return new IndexImage(indexBlob, Map.of("linux/amd64", amd64, "linux/arm64", arm64));
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode descriptor(Blob b) {
        var d = Manifests.json().createObjectNode();
        d.put("mediaType", b.mediaType()).put("digest", b.digest()).put("size", b.data().length);
        return d;
    }
}
