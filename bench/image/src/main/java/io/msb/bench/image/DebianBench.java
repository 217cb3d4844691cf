package io.msb.bench.image;

import static io.msb.bench.image.Bench.du;
import static io.msb.bench.image.Bench.ms;
import static io.msb.bench.image.Bench.print;
import static io.msb.bench.image.Bench.sh;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.api.image.LayerInfo;
import io.msb.api.spi.RootfsBuilder;
import io.msb.testing.EmbeddedMsb;
import io.msb.testing.LocalRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The Debian image (bookworm minbase + python3, as e2e/src/test/resources/io/msb/e2e/debian-python-image.sh builds it)
 * pushed to a local docker-registry: msb's cold pull+materialize (overlapped, and pull-then-build for comparison), warm
 * starts, disk per image and per sandbox, EROFS writer throughput; and what a user would do otherwise, skopeo copy +
 * umoci unpack --rootless + mkfs.erofs, on the same registry. The store, image and rootfs bundles run in an embedded
 * Felix and are used through their ImageService and RootfsBuilder services. Prints figures; asserts nothing.
 */
public final class DebianBench {
    private static final String ROOTFS = "io.msb.rootfs";

    private DebianBench() {
    }

    public static void main(String[] args) throws Exception {
        Path layout = Path.of(args.length > 0 ? args[0] : "/var/cache/msb-test/debian-python-oci");
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean coldOnly = args.length > 2 && args[2].equals("cold"); // just the two cold variants
        if (!Bench.installed(LocalRegistry.BINARY.toString(), Bench.SKOPEO)) {
            return;
        }
        Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "msb-debian-bench");
        System.out.println("load: " + sh("uptime").strip());
        try (LocalRegistry registry = LocalRegistry.start(dir)) {
            ImageReference ref = ImageReference.parse(registry.host() + "/test/debian:bookworm");
            Bench.push(layout, "bookworm", ref.text());

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
            print("msb cold pull+materialize (overlapped)", overlapped, 0);
            print("msb cold pull, then materialize", sequential, 0);
            if (!coldOnly) {
                warm(dir.resolve("o0"), ref, dir, rounds);
                otherwise(ref.text(), dir, rounds);
            }
        } finally {
            System.out.println("load: " + sh("uptime").strip());
            sh("rm", "-rf", dir.toString());
        }
    }

    /**
     * One cold pull into an empty home: overlapped (the image service hands each verified layer to the rootfs
     * builder) or with the rootfs bundle stopped during the pull and the root disk built after it.
     */
    private static double cold(Path home, ImageReference ref, boolean overlap) throws Exception {
        try (EmbeddedMsb msb = Bench.platform(home, ROOTFS)) {
            RootfsBuilder rootfs = msb.service(RootfsBuilder.class);
            if (!overlap) {
                msb.bundle(ROOTFS).stop();
            }
            ImageService images = msb.service(ImageService.class);
            long t0 = System.nanoTime();
            ImageInfo info = images.pull(ref, PullPolicy.IF_MISSING, null);
            if (overlap) {
                return ms(t0);
            }
            double pull = ms(t0);
            msb.bundle(ROOTFS).start();
            rootfs = msb.service(RootfsBuilder.class);
            long t1 = System.nanoTime();
            rootfs.rootDisk(info);
            return pull + ms(t1);
        }
    }

    /** Warm starts, disk use and the EROFS writer alone, in a home that pulled the image already. */
    private static void warm(Path home, ImageReference ref, Path dir, int rounds) throws Exception {
        try (EmbeddedMsb msb = Bench.platform(home, ROOTFS)) {
            RootfsBuilder rootfs = msb.service(RootfsBuilder.class);
            ImageService images = msb.service(ImageService.class);
            ImageInfo info = images.pull(ref, PullPolicy.IF_MISSING, null);
            List<Double> warm = Bench.times(50, i -> images.pull(ref, PullPolicy.IF_MISSING, null));
            List<Double> warmUpper = Bench.times(10, i -> {
                ImageInfo again = images.pull(ref, PullPolicy.IF_MISSING, null);
                rootfs.rootDisk(again);
                rootfs.createUpper(home.resolve("upper-" + i + ".ext4"), 0);
            });
            print("msb warm re-pull (IF_MISSING: record, blobs, root disk)", warm, 0);
            print("msb warm pull + root disk + new 4 GiB upper", warmUpper, 0);

            Path erofs = rootfs.rootDisk(info).path();
            Path blobs = home.resolve("cache/blobs/sha256"); // the blob cache's documented layout (ImageSettings)
            long compressed = 0;
            long uncompressed = 0;
            for (LayerInfo l : info.layers()) {
                Path blob = blobs.resolve(l.digest().substring("sha256:".length()));
                compressed += Files.size(blob);
                try (InputStream in = new GZIPInputStream(Files.newInputStream(blob), 1 << 16)) {
                    uncompressed += in.transferTo(OutputStream.nullOutputStream());
                }
            }
            System.out.printf("disk per image: root.erofs %.1f MB allocated (%.1f MB apparent), blobs %.1f MB;"
                    + " uncompressed layers %.1f MB%n", du(erofs) / 1e6, Files.size(erofs) / 1e6, compressed / 1e6,
                    uncompressed / 1e6);
            System.out.printf("disk per extra sandbox before it writes: %.0f KB (fresh 4 GiB ext4 upper, du)%n",
                    du(home.resolve("upper-0.ext4")) / 1e3);
            writer(rootfs, info, erofs, dir, rounds);
        }
    }

    /**
     * The writer alone on blobs already on disk, in MB/s of the tree's file data: the built image's directory is
     * removed before each build, so the service builds it again from the cached blobs.
     */
    private static void writer(RootfsBuilder rootfs, ImageInfo info, Path erofs, Path dir, int rounds) throws Exception {
        Path extracted = dir.resolve("tree");
        sh("fsck.erofs", "--extract=" + extracted, erofs.toString());
        long bytes = Long.parseLong(sh("sh", "-c", "find " + extracted
                + " -type f -printf '%s\\n' | awk '{s+=$1} END {printf \"%d\", s}'").strip());
        sh("rm", "-rf", extracted.toString());
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            sh("rm", "-rf", erofs.getParent().toString());
            long t0 = System.nanoTime();
            rootfs.rootDisk(info);
            times.add(ms(t0));
        }
        print("EROFS writer, layers on disk -> root.erofs (RootfsBuilder)", times, bytes);
        System.out.printf("  of %.1f MB of file data%n", bytes / 1e6);
    }

    /** skopeo copy docker:// → oci:, umoci unpack --rootless, mkfs.erofs: the same result by hand. */
    private static void otherwise(String ref, Path dir, int rounds) throws Exception {
        if (!Bench.installed("/usr/bin/umoci", "/usr/bin/mkfs.erofs")) {
            return;
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
        print("by hand: skopeo copy docker:// -> oci:", copy, 0);
        print("by hand: umoci unpack --rootless", unpack, 0);
        print("by hand: mkfs.erofs (+ sync)", mkfs, 0);
        print("by hand: total (cold pull+materialize)", total, 0);
    }
}
