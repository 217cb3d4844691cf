package io.msb.bench.image;

import io.msb.testing.EmbeddedMsb;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** What both image benchmarks share: the platform, OCI layouts, pushing with skopeo, printing figures. */
final class Bench {
    static final String SKOPEO = "/usr/bin/skopeo";

    private Bench() {
    }

    /** The store and image bundles (plus {@code more}) in an embedded Felix keeping its state in {@code home}. */
    static EmbeddedMsb platform(Path home, String... more) {
        List<String> bundles = new ArrayList<>(List.of("io.msb.store", "io.msb.image"));
        bundles.addAll(List.of(more));
        return EmbeddedMsb.builder(home).bundles(bundles.toArray(String[]::new)).start();
    }

    /** Copies the image tagged {@code tag} in an OCI layout to {@code ref} on a plain-HTTP registry. */
    static void push(Path layout, String tag, String ref) throws Exception {
        sh("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":" + tag, "docker://" + ref);
    }

    /**
     * Writes an OCI layout holding one linux/amd64 image tagged {@code tag} whose layers each hold one file of
     * random (incompressible, seeded) bytes of the given sizes; returns the layers' compressed size.
     */
    static long randomImage(Path layout, String tag, int... sizes) throws Exception {
        Path blobs = Files.createDirectories(layout.resolve("blobs/sha256"));
        Path work = Files.createDirectories(layout.resolveSibling(layout.getFileName() + "-work"));
        StringBuilder layers = new StringBuilder();
        StringBuilder diffIds = new StringBuilder();
        long total = 0;
        for (int i = 0; i < sizes.length; i++) {
            byte[] data = new byte[sizes[i]];
            new Random(i + 1).nextBytes(data);
            Files.write(work.resolve("l" + (i + 1) + ".bin"), data);
            Path tar = work.resolve("layer.tar");
            sh("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", work.toString(), "-cf", tar.toString(),
                    "l" + (i + 1) + ".bin");
            byte[] tarBytes = Files.readAllBytes(tar);
            java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
            try (OutputStream out = new GZIPOutputStream(gz)) {
                out.write(tarBytes);
            }
            byte[] layer = gz.toByteArray();
            total += layer.length;
            layers.append(i == 0 ? "" : ",").append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip",
                    blob(blobs, layer), layer.length));
            diffIds.append(i == 0 ? "" : ",").append('"').append(digest(tarBytes)).append('"');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", blob(blobs, config), config.length)
                + ",\"layers\":[" + layers + "]}").getBytes(StandardCharsets.UTF_8);
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + blob(blobs, manifest) + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        sh("rm", "-rf", work.toString());
        return total;
    }

    private static String descriptor(String mediaType, String digest, long size) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + "}";
    }

    private static String blob(Path blobs, byte[] data) throws IOException {
        String digest = digest(data);
        Files.write(blobs.resolve(digest.substring("sha256:".length())), data);
        return digest;
    }

    private static String digest(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean installed(String... tools) {
        for (String tool : tools) {
            if (!Files.isExecutable(Path.of(tool))) {
                System.out.println(tool + " is not installed: skipped what needs it");
                return false;
            }
        }
        return true;
    }

    static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    static long du(Path file) throws Exception {
        return Long.parseLong(sh("du", "-B1", "-s", file.toString()).split("\\s+")[0]);
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /** One run of a timed operation; {@code i} counts the runs from 0. */
    @FunctionalInterface
    interface Run {
        void run(int i) throws Exception;
    }

    /** The milliseconds each of {@code n} runs of {@code run} took, in order. */
    static List<Double> times(int n, Run run) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            run.run(i);
            ms.add(ms(t0));
        }
        return ms;
    }

    static double median(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** One line of figures; with {@code bytes} > 0 also the throughput at the median. */
    static void print(String what, List<Double> ms, long bytes) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        double median = median(ms);
        System.out.printf("%-58s n=%-3d median %9.2f ms  min %9.2f ms  max %9.2f ms%s%n", what, ms.size(), median,
                sorted.get(0), sorted.get(sorted.size() - 1),
                bytes > 0 ? String.format("  (%.0f MB/s at median)", bytes / 1e6 / (median / 1e3)) : "");
    }
}
