import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.e2e.Platform;
import io.msb.api.SandboxService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Full-stack VM figures (see README.md): the boot floor (same QEMU, kernel and module set, /init powers off) against
 * create-to-ready and create-to-first-exec-output of builtin:busybox sandboxes through the whole runtime; the
 * `exec true` round trip; host RSS of an idle sandbox; create time and RSS from 1 to 10 running sandboxes.
 * Usage: java -cp <e2e test class path> FullStack.java <poweroff-binary> [boots=10] [max-concurrent=10]
 */
public class FullStack {
    public static void main(String[] args) throws Exception {
        Path poweroff = Path.of(args[0]);
        int boots = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int maxConcurrent = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim()
                + ", cpus " + Runtime.getRuntime().availableProcessors());
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            SandboxService rt = p.runtime();
            // Warm-up (not counted): builds builtin:busybox, its EROFS root and the agent initramfs once.
            SandboxHandle warm = p.create("warm", false);
            System.out.println("QEMU " + Platform.qemuArgs(warm.info().currentRun().orElseThrow().pid()) + ", 1 vCPU, 256 MiB");
            rt.remove(warm.name(), true);
            floorBoot(p, poweroff, boots); // builds the floor's initramfs once, not counted

            List<Double> floor = new ArrayList<>();
            List<Double> ready = new ArrayList<>();
            List<Double> firstOutput = new ArrayList<>();
            for (int i = 0; i < boots; i++) { // interleaved, so both see the same host load
                floor.add(floorBoot(p, poweroff, i));
                long t0 = System.nanoTime();
                SandboxHandle box = p.create("bench-" + i, false);
                long t1 = System.nanoTime();
                CompletableFuture<Long> first = new CompletableFuture<>();
                box.execStream(ExecOptions.of("echo", "hi").build(), e -> {
                    if (e instanceof ExecEvent.Stdout) {
                        first.complete(System.nanoTime());
                    }
                }).waitFor(Duration.ofMinutes(1));
                long t2 = first.get(1, TimeUnit.MINUTES);
                ready.add(ms(t1 - t0));
                firstOutput.add(ms(t2 - t0));
                System.out.printf("boot %2d: floor %7.0f ms, create→ready %7.0f ms, create→first output %7.0f ms%n",
                        i, floor.get(i), ready.get(i), firstOutput.get(i));
                rt.remove(box.name(), true);
            }
            double f = median(floor);
            System.out.printf("median floor %.0f ms | create→ready %.0f ms (%.2f× floor, overhead %+.0f%%) | "
                    + "create→first output %.0f ms (%.2f× floor, overhead %+.0f%%)%n", f, median(ready),
                    median(ready) / f, 100 * (median(ready) / f - 1), median(firstOutput), median(firstOutput) / f,
                    100 * (median(firstOutput) / f - 1));

            SandboxHandle box = p.create("bench-exec", false);
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < 53; i++) {
                long t0 = System.nanoTime();
                if (!box.exec(ExecOptions.of("true").build()).exit().success()) {
                    throw new IllegalStateException("exec true failed");
                }
                if (i >= 3) {
                    rtt.add(ms(System.nanoTime() - t0));
                }
            }
            Collections.sort(rtt);
            System.out.printf("exec true round trip: median %.1f ms, p90 %.1f ms, min %.1f ms (50 runs)%n",
                    median(rtt), rtt.get(rtt.size() * 9 / 10), rtt.get(0));
            rt.remove(box.name(), true);

            long jvmBefore = rssKib(ProcessHandle.current().pid());
            System.out.println("concurrent | create of the k-th | QEMU RSS (sum) | QEMU PSS (sum) | launcher helpers RSS | JVM RSS");
            List<Long> pids = new ArrayList<>();
            for (int k = 1; k <= maxConcurrent; k++) {
                long t0 = System.nanoTime();
                SandboxHandle s = p.create("scale-" + k, false);
                double create = ms(System.nanoTime() - t0);
                pids.add(s.info().currentRun().orElseThrow().pid());
                Thread.sleep(2000); // let the new guest settle to idle
                long rss = 0;
                long pss = 0;
                long helpers = 0;
                for (long pid : pids) {
                    rss += rssKib(pid);
                    pss += rollup(pid, "Pss:");
                    helpers += helpersKib(pid);
                }
                System.out.printf("%10d | %15.0f ms | %10.1f MiB | %10.1f MiB | %16.1f MiB | %.1f MiB (+%.1f)%n", k,
                        create, rss / 1024.0, pss / 1024.0, helpers / 1024.0,
                        rssKib(ProcessHandle.current().pid()) / 1024.0,
                        (rssKib(ProcessHandle.current().pid()) - jvmBefore) / 1024.0);
            }
            System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
        }
    }

    /** The QEMU backend, configured with /init = poweroff for this boot, builds that initramfs with its modules. */
    private static double floorBoot(Platform p, Path poweroff, int i) throws Exception {
        double[] millis = new double[1];
        p.withQemu(Map.of("agentd", poweroff.toString()), () -> {
            try {
                millis[0] = floorBootOnce(p, i);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return millis[0];
    }

    private static double floorBootOnce(Platform p, int i) throws Exception {
        Path dir = Files.createTempDirectory(p.home, "floor-");
        VmSpec spec = new VmSpec("floor-" + i, dir, null, null, List.of(), List.of(), 1, 256, false, null);
        long t0 = System.nanoTime();
        VmHandle vm = p.qemu().start(spec);
        OptionalInt status = vm.waitFor(Duration.ofMinutes(5));
        long t1 = System.nanoTime();
        if (status.isEmpty() || status.getAsInt() != 0) {
            vm.kill();
            throw new IllegalStateException("floor boot " + i + " did not power off: " + vm.consoleTail(10));
        }
        return ms(t1 - t0);
    }

    /** Resident set of one process from /proc/pid/status, KiB. */
    static long rssKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    static long rollup(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /** The VM launcher (QEMU's parent shell) and its other children (the console log copier), KiB. */
    static long helpersKib(long qemuPid) throws Exception {
        long parent = ProcessHandle.of(qemuPid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
        if (parent < 0) {
            return 0;
        }
        long sum = rssKib(parent);
        for (ProcessHandle child : ProcessHandle.of(parent).map(h -> h.descendants().toList()).orElse(List.of())) {
            if (child.pid() != qemuPid) {
                sum += rssKib(child.pid());
            }
        }
        return sum;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
