import io.msb.rootfs.internal.ErofsImageBuilder;
import io.msb.rootfs.internal.Layer;
import io.msb.rootfs.internal.UpperDisks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Prints rootfs figures. Arguments: a work directory prepared by run.sh holding
 * tree/ (the unpacked tree), tree.tar (one uncompressed layer) and layer{1,2,3}.tar.{gz,zst}.
 */
public class RootfsBench {
    static final int RUNS = 5;

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        long treeBytes = Long.parseLong(args[1]);
        int cpus = Runtime.getRuntime().availableProcessors();
        System.out.printf("tree: %.1f MB of file data, tar %.1f MB, %d CPUs%n", treeBytes / 1e6,
                Files.size(work.resolve("tree.tar")) / 1e6, cpus);

        Path out = work.resolve("out.erofs");
        double[] t = time(() -> phases = new ErofsImageBuilder(1, ErofsImageBuilder.DEFAULT_TAIL_BUDGET)
                .build(List.of(new Layer(work.resolve("tree.tar"), null)), out, new byte[16]));
        report("EROFS writer, 1 uncompressed tar layer", t, treeBytes);
        System.out.printf("  image %.1f MB apparent, %.1f MB on disk%n", Files.size(out) / 1e6, du(out) / 1e6);

        t = time(() -> exec("mkfs.erofs", "--quiet", work.resolve("mkfs.erofs.img").toString(), work.resolve("tree").toString()));
        report("mkfs.erofs (erofs-utils, uncompressed) on the unpacked tree", t, treeBytes);
        System.out.printf("  image %.1f MB on disk%n", du(work.resolve("mkfs.erofs.img")) / 1e6);

        for (String ext : List.of("gz", "zst")) {
            List<Layer> layers = new ArrayList<>();
            long compressed = 0;
            for (int i = 1; i <= 3; i++) {
                Path l = work.resolve("layer" + i + ".tar." + ext);
                layers.add(new Layer(l, null));
                compressed += Files.size(l);
            }
            System.out.printf("3 layers .%s: %.1f MB compressed%n", ext, compressed / 1e6);
            for (int threads : new int[] {1, cpus}) {
                t = time(() -> phases = new ErofsImageBuilder(threads, ErofsImageBuilder.DEFAULT_TAIL_BUDGET).build(layers, out, new byte[16]));
                report("cold materialize, 3 ." + ext + " layers, " + threads + " thread(s)", t, treeBytes);
            }
            System.out.printf("  image %.1f MB on disk (uncompressed tree %.1f MB)%n", du(out) / 1e6, treeBytes / 1e6);
        }

        UpperDisks uppers = new UpperDisks("mke2fs", "debugfs");
        double[] ut = new double[RUNS];
        long upperDisk = 0;
        for (int i = 0; i < RUNS; i++) {
            Path u = work.resolve("upper" + i + ".ext4");
            Files.deleteIfExists(u);
            long s = System.nanoTime();
            uppers.create(u, 4096);
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
    static ErofsImageBuilder.Result phases;

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
        if (phases != null) {
            System.out.printf("  last run: layers %.3f s, metadata %.3f s, fsync %.3f s%n", phases.layersNanos() / 1e9,
                    phases.metadataNanos() / 1e9, phases.syncNanos() / 1e9);
            phases = null;
        }
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
