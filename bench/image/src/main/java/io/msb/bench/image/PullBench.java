package io.msb.bench.image;

import static io.msb.bench.image.Bench.ms;
import static io.msb.bench.image.Bench.print;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageReference;
import io.msb.api.image.ImageService;
import io.msb.testing.EmbeddedMsb;
import io.msb.testing.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Cold pull of a ~60 MB, 3-layer image from a local docker-registry, warm re-pulls, and skopeo copy of the same
 * image for comparison. The store and image bundles run in an embedded Felix and are used through the ImageService,
 * as the server uses them. Prints figures; asserts nothing.
 */
public final class PullBench {
    private PullBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        if (!Bench.installed(LocalRegistry.BINARY.toString(), Bench.SKOPEO)) {
            return; // skopeo pushes the image
        }
        Path dir = Files.createTempDirectory("msb-image-bench");
        long bytes = Bench.randomImage(dir.resolve("oci"), "1", 30 << 20, 20 << 20, 10 << 20);
        System.out.printf("image: 3 layers, %.1f MB compressed%n", bytes / 1e6);
        try (LocalRegistry registry = LocalRegistry.start(dir)) {
            ImageReference ref = ImageReference.parse(registry.host() + "/bench/img:1");
            Bench.push(dir.resolve("oci"), "1", ref.text());

            List<Double> cold = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                try (EmbeddedMsb msb = Bench.platform(dir.resolve("cold-" + i))) {
                    ImageService images = msb.service(ImageService.class);
                    long t0 = System.nanoTime();
                    images.pull(ref, PullPolicy.IF_MISSING, null);
                    cold.add(ms(t0));
                }
            }
            print("msb cold pull", cold, bytes);

            // Into an empty blob cache on one platform: code already loaded and compiled, as for every pull after
            // a server's first; the difference to the line above is class loading and JIT warm-up. ALWAYS, because
            // the store (kept) already has the image's record.
            List<Double> coldWarmJvm = new ArrayList<>();
            try (EmbeddedMsb msb = Bench.platform(dir.resolve("jvm-0"))) {
                for (int i = 0; i < rounds + 2; i++) {
                    String cache = dir.resolve("jvm-" + i).toString();
                    msb.configure("io.msb.image", Map.of("home", cache));
                    ImageService images = msb.service(ImageService.class, "(home=" + cache + ")");
                    long t0 = System.nanoTime();
                    images.pull(ref, PullPolicy.ALWAYS, null);
                    if (i >= 2) { // the first two warm the code up
                        coldWarmJvm.add(ms(t0));
                    }
                }
            }
            print("msb cold pull, warm JVM (empty blob cache)", coldWarmJvm, bytes);

            Path home = dir.resolve("cold-0");
            List<Double> warm;
            List<Double> always;
            try (EmbeddedMsb msb = Bench.platform(home)) {
                ImageService images = msb.service(ImageService.class);
                warm = Bench.times(50, i -> images.pull(ref, PullPolicy.IF_MISSING, null));
                always = Bench.times(20, i -> images.pull(ref, PullPolicy.ALWAYS, null));
            }
            print("msb warm re-pull (IF_MISSING, cached)", warm, 0);
            print("msb re-pull ALWAYS (manifest round trip, blobs cached)", always, 0);

            List<Double> fresh = Bench.times(5, i -> {
                try (EmbeddedMsb msb = Bench.platform(home)) {
                    msb.service(ImageService.class).pull(ref, PullPolicy.IF_MISSING, null);
                }
            });
            print("msb warm re-pull incl. starting Felix, store, image", fresh, 0);

            List<Double> skopeo = Bench.times(rounds, i -> Bench.sh(Bench.SKOPEO, "copy", "--quiet",
                    "--src-tls-verify=false", "docker://" + ref.text(), "dir:" + dir.resolve("skopeo-" + i)));
            print("skopeo copy docker:// -> dir: (cold)", skopeo, bytes);
        } finally {
            Bench.sh("rm", "-rf", dir.toString());
        }
    }
}
