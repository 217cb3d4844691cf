import io.msb.api.image.ImageInfo;
import io.msb.api.image.LayerInfo;
import io.msb.api.spi.RootfsBuilder;
import io.msb.testing.EmbeddedMsb;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Prints rootfs figures. Arguments: a work directory prepared by run.sh holding
 * tree/ (the unpacked tree), tree.tar (one uncompressed layer) and layer{1,2,3}.tar.{gz,zst}.
 * The rootfs bundle runs in an embedded Felix (io.msb.testing's EmbeddedMsb) and is used through its RootfsBuilder
 * service, as the runtime uses it: the layers are linked into its blob cache, and each run builds the root disk of
 * an "image" with a new manifest digest (so nothing is cached between runs).
 */
public class RootfsBench {
    static final int RUNS = 5;

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        long treeBytes = Long.parseLong(args[1]);
        int cpus = Runtime.getRuntime().availableProcessors();
        System.out.printf("tree: %.1f MB of file data, tar %.1f MB, %d CPUs%n", treeBytes / 1e6,
                Files.size(work.resolve("tree.tar")) / 1e6, cpus);

        Path home = Files.createDirectories(work.resolve("home"));
        try (EmbeddedMsb msb = EmbeddedMsb.builder(home).bundles("io.msb.rootfs")
                .configure("io.msb.rootfs", Map.of("buildThreads", 1)).start()) {
            run(msb, home, work, treeBytes, cpus);
        }
    }

    private static void run(EmbeddedMsb msb, Path home, Path work, long treeBytes, int cpus) throws Exception {
        ImageInfo tar = image(home, List.of(work.resolve("tree.tar")));
        double[] t = time(() -> build(msb.service(RootfsBuilder.class), tar));
        report("EROFS writer, 1 uncompressed tar layer", t, treeBytes);
        System.out.printf("  image %.1f MB apparent, %.1f MB on disk%n", Files.size(out) / 1e6, du(out) / 1e6);

        t = time(() -> exec("mkfs.erofs", "--quiet", work.resolve("mkfs.erofs.img").toString(), work.resolve("tree").toString()));
        report("mkfs.erofs (erofs-utils, uncompressed) on the unpacked tree", t, treeBytes);
        System.out.printf("  image %.1f MB on disk%n", du(work.resolve("mkfs.erofs.img")) / 1e6);

        for (String ext : List.of("gz", "zst")) {
            List<Path> files = new ArrayList<>();
            long compressed = 0;
            for (int i = 1; i <= 3; i++) {
                Path l = work.resolve("layer" + i + ".tar." + ext);
                files.add(l);
                compressed += Files.size(l);
            }
            ImageInfo layers = image(home, files);
            System.out.printf("3 layers .%s: %.1f MB compressed%n", ext, compressed / 1e6);
            for (int threads : new int[] {1, cpus}) {
                msb.configure("io.msb.rootfs", Map.of("buildThreads", threads));
                RootfsBuilder rootfs = msb.service(RootfsBuilder.class);
                t = time(() -> build(rootfs, layers));
                report("cold materialize, 3 ." + ext + " layers, " + threads + " thread(s)", t, treeBytes);
            }
            System.out.printf("  image %.1f MB on disk (uncompressed tree %.1f MB)%n", du(out) / 1e6, treeBytes / 1e6);
        }

        RootfsBuilder uppers = msb.service(RootfsBuilder.class);
        double[] ut = new double[RUNS];
        long upperDisk = 0;
        for (int i = 0; i < RUNS; i++) {
            Path u = work.resolve("upper" + i + ".ext4");
            Files.deleteIfExists(u);
            long s = System.nanoTime();
            uppers.createUpper(u, 4096);
            ut[i] = (System.nanoTime() - s) / 1e9;
            upperDisk = du(u);
            Files.delete(u);
        }
        Arrays.sort(ut);
        System.out.printf("fresh 4 GiB ext4 upper: median %.0f ms to create, %d KiB on disk%n", ut[RUNS / 2] * 1000, upperDisk / 1024);
    }

    interface Task {
        void run() throws Exception;
    }

    static double lastCpu;
    /** The root disk the last run built. */
    static Path out;

    /** An image of these layer files, linked into the blob cache under their digests. */
    static ImageInfo image(Path home, List<Path> files) throws Exception {
        Path blobs = Files.createDirectories(home.resolve("cache/blobs/sha256"));
        List<LayerInfo> layers = new ArrayList<>();
        for (Path f : files) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(f)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0;) {
                    sha.update(buf, 0, n);
                }
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            Files.deleteIfExists(blobs.resolve(hex));
            Files.createSymbolicLink(blobs.resolve(hex), f.toAbsolutePath());
            layers.add(new LayerInfo("sha256:" + hex, "sha256:" + hex, null, Files.size(f))); // type by magic bytes
        }
        return new ImageInfo("bench", null, null, layers, null, Instant.now());
    }

    private static final Random DIGESTS = new Random();

    /** Builds the root disk of {@code image} under a new manifest digest; removes the previous run's disk. */
    static void build(RootfsBuilder rootfs, ImageInfo image) throws Exception {
        if (out != null) {
            Files.deleteIfExists(out);
        }
        byte[] digest = new byte[32];
        DIGESTS.nextBytes(digest);
        ImageInfo fresh = new ImageInfo(image.reference(), "sha256:" + HexFormat.of().formatHex(digest),
                image.configDigest(), image.layers(), image.config(), image.pulledAt());
        out = rootfs.rootDisk(fresh).path();
    }

    /** Wall-clock seconds of each run; lastCpu gets the median CPU seconds this JVM (not children) used. */
    static double[] time(Task task) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        double[] r = new double[RUNS];
        double[] cpu = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            exec("sync");
            long c = os.getProcessCpuTime();
            long s = System.nanoTime();
            task.run();
            r[i] = (System.nanoTime() - s) / 1e9;
            cpu[i] = (os.getProcessCpuTime() - c) / 1e9;
        }
        Arrays.sort(cpu);
        lastCpu = cpu[RUNS / 2];
        return r;
    }

    static void report(String what, double[] t, long bytes) {
        double first = t[0];
        double[] s = t.clone();
        Arrays.sort(s);
        System.out.printf("%s: first %.3f s, median %.3f s, best %.3f s -> %.0f MB/s (median), %.0f MB/s (best); JVM CPU %.2f s (median)%n",
                what, first, s[s.length / 2], s[0], bytes / 1e6 / s[s.length / 2], bytes / 1e6 / s[0], lastCpu);
    }

    static long du(Path p) throws Exception {
        Process pr = new ProcessBuilder("stat", "-c", "%b %B", p.toString()).start();
        String[] f = new String(pr.getInputStream().readAllBytes()).trim().split(" ");
        pr.waitFor();
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed");
        }
    }
}
