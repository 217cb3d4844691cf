package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import io.msb.api.PullPolicy;
import io.msb.store.internal.H2Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Cold pull of a ~60 MB, 3-layer image from a local docker-registry, warm re-pulls, and skopeo copy of the same
 * image for comparison. Prints figures; asserts nothing.
 */
public final class PullBench {
    private PullBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("msb-image-bench");
        TestImages.Image image = TestImages.image("amd64", List.of(
                TestImages.randomFile("l1.bin", 30 << 20, 1), TestImages.randomFile("l2.bin", 20 << 20, 2),
                TestImages.randomFile("l3.bin", 10 << 20, 3)));
        System.out.printf("image: 3 layers, %.1f MB compressed%n", image.layerBytes() / 1e6);
        try (RegistryFixture registry = RegistryFixture.start(dir, "")) {
            new RegistryPusher(registry.host()).push("bench/img", "1", image);
            String ref = registry.host() + "/bench/img:1";

            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                Path home = Files.createDirectories(dir.resolve("cold-" + i));
                try (var store = H2Store.open(home, 2); var images = service(store, home)) {
                    long t0 = System.nanoTime();
                    images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                    cold.add(ms(t0));
                }
            }
            print("msb cold pull", cold, image.layerBytes());

            Path home = dir.resolve("cold-0");
            List<Double> warm = new ArrayList<>();
            List<Double> always = new ArrayList<>();
            try (var store = H2Store.open(home, 2); var images = service(store, home)) {
                for (int i = 0; i < 50; i++) {
                    long t0 = System.nanoTime();
                    images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                    warm.add(ms(t0));
                }
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    images.pull(ImageReference.parse(ref), PullPolicy.ALWAYS, null);
                    always.add(ms(t0));
                }
            }
            print("msb warm re-pull (IF_MISSING, cached)", warm, 0);
            print("msb re-pull ALWAYS (manifest round trip, blobs cached)", always, 0);

            List<Double> fresh = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                try (var store = H2Store.open(home, 2); var images = service(store, home)) {
                    images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
                }
                fresh.add(ms(t0));
            }
            print("msb warm re-pull incl. opening store + service", fresh, 0);

            skopeo(ref, dir, rounds, image.layerBytes());
        }
    }

    private static OciImageService service(H2Store store, Path home) {
        return new OciImageService(store.images(), ImageSettings.defaults(home).withCredentials(List.of(), null));
    }

    private static void skopeo(String ref, Path dir, int rounds, long bytes) throws Exception {
        Path skopeo = Path.of("/usr/bin/skopeo");
        if (!Files.isExecutable(skopeo)) {
            System.out.println("skopeo: not installed (apt-get install skopeo), comparison skipped");
            return;
        }
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            Path target = dir.resolve("skopeo-" + i);
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(skopeo.toString(), "copy", "--quiet", "--src-tls-verify=false",
                    "docker://" + ref, "dir:" + target).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                System.out.println("skopeo copy failed: " + out);
                return;
            }
            times.add(ms(t0));
        }
        print("skopeo copy docker:// → dir: (cold)", times, bytes);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void print(String what, List<Double> ms, long bytes) {
        List<Double> sorted = new ArrayList<>(ms);
        Collections.sort(sorted);
        double median = sorted.get(sorted.size() / 2);
        System.out.printf("%-55s n=%-3d median %9.2f ms  min %9.2f ms  max %9.2f ms%s%n", what, ms.size(), median,
                sorted.get(0), sorted.get(sorted.size() - 1),
                bytes > 0 ? String.format("  (%.0f MB/s at median)", bytes / 1e6 / (median / 1e3)) : "");
    }
}
