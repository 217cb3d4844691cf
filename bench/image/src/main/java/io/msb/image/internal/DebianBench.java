package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.LayerInfo;
import io.msb.rootfs.internal.ErofsImageBuilder;
import io.msb.rootfs.internal.Layer;
import io.msb.rootfs.internal.LocalRootfsBuilder;
import io.msb.store.internal.H2Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The Debian image (bookworm minbase + python3, as e2e/src/test/resources/io/msb/e2e/debian-python-image.sh builds it) pushed to a local docker-registry:
 * msb's cold pull+materialize (overlapped, and pull-then-build for comparison), warm starts, disk per image and
 * per sandbox, EROFS writer throughput; and what a user would do otherwise, skopeo copy + umoci unpack --rootless +
 * mkfs.erofs, on the same registry. Prints figures; asserts nothing.
 */
public final class DebianBench {
    private DebianBench() {
    }

    public static void main(String[] args) throws Exception {
        Path layout = Path.of(args.length > 0 ? args[0] : "/var/cache/msb-test/debian-python-oci");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean coldOnly = args.length > 2 && args[2].equals("cold"); // just the two cold variants
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "msb-debian-bench");
        System.out.println("load: " + sh("uptime").strip());
        try (RegistryFixture registry = RegistryFixture.start(dir, "")) {
            String ref = registry.host() + "/test/debian:bookworm";
            long compressed = push(layout, registry.host(), "test/debian", "bookworm");
            System.out.printf("image %s: %.1f MB compressed%n", ref, compressed / 1e6);

            List<Double> overlapped = new ArrayList<>();
            List<Double> sequential = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                // alternate which goes first, so JIT warm-up and page cache favour neither
                if (i % 2 == 0) {
                    overlapped.add(cold(dir.resolve("o" + i), ref, true));
                    sequential.add(cold(dir.resolve("s" + i), ref, false));
                } else {
                    sequential.add(cold(dir.resolve("s" + i), ref, false));
                    overlapped.add(cold(dir.resolve("o" + i), ref, true));
                }
            }
            print("msb cold pull+materialize (overlapped)", overlapped);
            print("msb cold pull, then materialize", sequential);
            if (coldOnly) {
                return;
            }

            Path home = dir.resolve("o0");
            List<Double> warm = new ArrayList<>();
            List<Double> warmUpper = new ArrayList<>();
            ImageInfo info;
            try (var store = H2Store.open(home, 2); var images = service(store, home)) {
                LocalRootfsBuilder rootfs = rootfs(home);
                images.setRootfsBuilder(rootfs);
                info = images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                for (int i = 0; i < 50; i++) {
                    long t0 = System.nanoTime();
                    images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                    warm.add(ms(t0));
                }
                for (int i = 0; i < 10; i++) {
                    long t0 = System.nanoTime();
                    ImageInfo again = images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                    rootfs.rootDisk(again);
                    rootfs.createUpper(home.resolve("upper-" + i + ".ext4"), 0);
                    warmUpper.add(ms(t0));
                }
                print("msb warm re-pull (IF_MISSING: record, blobs, root disk)", warm);
                print("msb warm pull + root disk + new 4 GiB upper", warmUpper);

                Path erofs = rootfs.imageFile(info.manifestDigest());
                long uncompressed = uncompressed(images.blobDirectory(), info);
                System.out.printf("disk per image: root.erofs %.1f MB allocated (%.1f MB apparent), blobs %.1f MB;"
                        + " uncompressed layers %.1f MB%n", du(erofs) / 1e6, Files.size(erofs) / 1e6,
                        compressed / 1e6, uncompressed / 1e6);
                System.out.printf("disk per extra sandbox before it writes: %.0f KB (fresh 4 GiB ext4 upper, du)%n",
                        du(home.resolve("upper-0.ext4")) / 1e3);
                writer(images.blobDirectory(), info, dir, rounds);
            }
            otherwise(ref, dir, rounds);
        } finally {
            System.out.println("load: " + sh("uptime").strip());
            sh("rm", "-rf", dir.toString());
        }
    }

    /** One cold pull into an empty home; overlapped or with the root disk built after the download. */
    private static double cold(Path home, String ref, boolean overlap) throws Exception {
        Files.createDirectories(home);
        try (var store = H2Store.open(home, 2); var images = service(store, home)) {
            LocalRootfsBuilder rootfs = rootfs(home);
            long t0 = System.nanoTime();
            if (overlap) {
                images.setRootfsBuilder(rootfs);
                images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
            } else {
                rootfs.rootDisk(images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null));
            }
            return ms(t0);
        }
    }

    /** The writer alone on blobs already on disk, in MB/s of the tree's file data. */
    private static void writer(Path blobs, ImageInfo info, Path dir, int rounds) throws Exception {
        List<Layer> layers = info.layers().stream()
                .map(l -> new Layer(blobs.resolve(Digests.hex(l.digest())), l.mediaType())).toList();
        Path extracted = dir.resolve("tree");
        Path img = dir.resolve("writer/root.erofs");
        new ErofsImageBuilder().build(layers, img, new byte[16]);
        sh("fsck.erofs", "--extract=" + extracted, img.toString());
        long bytes = Long.parseLong(sh("sh", "-c", "find " + extracted + " -type f -printf '%s\\n' | awk '{s+=$1} END {printf \"%d\", s}'").strip());
        List<Double> times = new ArrayList<>();
        List<Double> read = new ArrayList<>();
        List<Double> meta = new ArrayList<>();
        List<Double> sync = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            ErofsImageBuilder.Result r = new ErofsImageBuilder().build(layers, img, new byte[16]);
            times.add(ms(t0));
            read.add(r.layersNanos() / 1e6);
            meta.add(r.metadataNanos() / 1e6);
            sync.add(r.syncNanos() / 1e6);
        }
        print("EROFS writer, 2 gzip layers on disk -> root.erofs", times);
        print("  of which: decompress+parse+write data, merge", read);
        print("  of which: metadata", meta);
        print("  of which: fsync+rename", sync);
        System.out.printf("EROFS writer throughput: %.0f MB/s of tree (%.1f MB of file data) at the median%n",
                bytes / 1e6 / (median(times) / 1e3), bytes / 1e6);
    }

    /** skopeo copy docker:// → oci:, umoci unpack --rootless, mkfs.erofs: the same result by hand. */
    private static void otherwise(String ref, Path dir, int rounds) throws Exception {
        for (String tool : List.of("/usr/bin/skopeo", "/usr/bin/umoci", "/usr/bin/mkfs.erofs")) {
            if (!Files.isExecutable(Path.of(tool))) {
                System.out.println(tool + " is not installed (apt-get install skopeo umoci erofs-utils): comparison skipped");
                return;
            }
        }
        List<Double> copy = new ArrayList<>();
        List<Double> unpack = new ArrayList<>();
        List<Double> mkfs = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            Path w = Files.createDirectories(dir.resolve("by-hand-" + i));
            long t0 = System.nanoTime();
            sh("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref, "oci:" + w.resolve("oci") + ":bookworm");
            long t1 = System.nanoTime();
            sh("umoci", "unpack", "--rootless", "--image", w.resolve("oci") + ":bookworm", w.resolve("bundle").toString());
            long t2 = System.nanoTime();
            sh("mkfs.erofs", "--quiet", w.resolve("root.erofs").toString(), w.resolve("bundle/rootfs").toString());
            sh("sync", "-f", w.resolve("root.erofs").toString()); // msb's image is fsynced too
            long t3 = System.nanoTime();
            copy.add((t1 - t0) / 1e6);
            unpack.add((t2 - t1) / 1e6);
            mkfs.add((t3 - t2) / 1e6);
            total.add((t3 - t0) / 1e6);
            sh("rm", "-rf", w.toString());
        }
        print("by hand: skopeo copy docker:// -> oci:", copy);
        print("by hand: umoci unpack --rootless", unpack);
        print("by hand: mkfs.erofs (+ sync)", mkfs);
        print("by hand: total (cold pull+materialize)", total);
    }

    /** Pushes an OCI layout's image (blobs, then the manifest) under {@code repo:tag}; returns the layers' size. */
    private static long push(Path layout, String host, String repo, String tag) throws Exception {
        var json = Manifests.json();
        var index = json.readTree(layout.resolve("index.json").toFile());
        String manifestDigest = index.path("manifests").get(0).path("digest").asText();
        byte[] manifestBytes = Files.readAllBytes(blob(layout, manifestDigest));
        var manifest = json.readTree(manifestBytes);
        RegistryPusher pusher = new RegistryPusher(host);
        pusher.blob(repo, Files.readAllBytes(blob(layout, manifest.path("config").path("digest").asText())));
        long size = 0;
        for (var l : manifest.path("layers")) {
            byte[] data = Files.readAllBytes(blob(layout, l.path("digest").asText()));
            pusher.blob(repo, data);
            size += data.length;
        }
        pusher.putManifest(repo, tag, new TestImages.Blob(manifest.path("mediaType").asText(Manifests.OCI_MANIFEST), manifestBytes));
        return size;
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs/sha256").resolve(Digests.hex(digest));
    }

    private static long uncompressed(Path blobs, ImageInfo info) throws IOException {
        long n = 0;
        for (LayerInfo l : info.layers()) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(blobs.resolve(Digests.hex(l.digest()))), 1 << 16)) {
                n += in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }
        return n;
    }

    private static long du(Path file) throws Exception {
        return Long.parseLong(sh("du", "-B1", "-s", file.toString()).split("\\s+")[0]);
    }

    private static OciImageService service(H2Store store, Path home) {
        return new OciImageService(store.images(), ImageSettings.defaults(home).withCredentials(List.of(), null));
    }

    private static LocalRootfsBuilder rootfs(Path home) {
        return new LocalRootfsBuilder(home, 4096, "mke2fs", "debugfs", new ErofsImageBuilder());
    }

    private static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double median(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static void print(String what, List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        System.out.printf("%-58s n=%-3d median %9.2f ms  min %9.2f ms  max %9.2f ms%n", what, ms.size(), median(ms),
                sorted.get(0), sorted.get(sorted.size() - 1));
    }
}
