import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.e2e.Platform;
import io.msb.e2e.QemuMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The VM figures of issue 19 in one run (see README.md), all through the real platform (builtin:busybox, 1 vCPU,
 * 512 MiB). For Debian's cloud kernel and, when built, msb's own ({@code guestKernel} debian / msb): the boot
 * floor (same QEMU command line, kernel, initramfs and disks, whose /init powers off) against create→ready,
 * interleaved;
 * {@code exec true} p50/p99; exec stream MB/s ({@code cat} of a 200 MB guest file, bytes counted on the host). With
 * the kernel the server picks: host RSS/PSS per idle sandbox with {@code idle} of them running; the density count
 * (sandboxes running before a create fails or takes twice the median create→ready, capped).
 * Usage: java -cp <e2e test class path> FullStack.java <poweroff-binary> [boots=6] [idle=10] [density-cap=20]
 */
public class FullStack {
    static final int MEMORY_MIB = 512;
    static final int STREAM_MB = 200;

    public static void main(String[] args) throws Exception {
        Path poweroff = Path.of(args[0]);
        int boots = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int idle = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int cap = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        System.out.println("load at start: " + loadavg() + ", cpus " + Runtime.getRuntime().availableProcessors());
        // Both kernels through the backend's own choice (decision 1901): msb's needs a complete build for the
        // current fragment in ~/.msb/kernel (native/guest/build-kernel.sh ~/.msb/kernel, or msb-server kernel build).
        Map<String, Map<String, Object>> kernels = new LinkedHashMap<>();
        kernels.put("debian", Map.of("guestKernel", "debian"));
        kernels.put("msb", Map.of("guestKernel", "msb"));
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            Map<String, double[]> boot = new LinkedHashMap<>();
            Map<String, String> exec = new LinkedHashMap<>();
            for (var k : kernels.entrySet()) {
                try {
                    p.withQemu(k.getValue(), () -> {
                        try {
                            boot.put(k.getKey(), boots(p, poweroff, k.getKey(), boots));
                            exec.put(k.getKey(), execFigures(p.runtime(), k.getKey()));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                } catch (RuntimeException e) {
                    System.out.println(k.getKey() + " kernel: not measured (" + e.getMessage() + "); build msb's with"
                            + " native/guest/build-kernel.sh ~/.msb/kernel or msb-server kernel build");
                }
            }
            SandboxService rt = p.runtime();
            System.out.println("idle memory and density with the kernel the server picks (guestKernel auto): "
                    + (boot.containsKey("msb") ? "msb" : "debian"));
            memory(p, rt, idle, cap, boot.getOrDefault("msb", boot.get("debian"))[1]);
            System.out.println("--- summary (TCG, 1 vCPU, " + MEMORY_MIB + " MiB) ---");
            boot.forEach((k, b) -> System.out.printf("%-6s floor %6.0f ms | create→ready %6.0f ms | ratio %.2f | %s%n",
                    k, b[0], b[1], b[1] / b[0], exec.get(k)));
            System.out.println("load at end: " + loadavg());
        }
    }

    /** exec true p50/p99 over 100 runs (after 3 warm-ups) and the 200 MiB stream, in one sandbox. */
    static String execFigures(SandboxService rt, String kernel) throws Exception {
        SandboxHandle box = create(rt, "bench-exec-" + kernel);
        try {
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < 103; i++) {
                long t0 = System.nanoTime();
                if (!box.exec(ExecOptions.of("true").build()).exit().success()) {
                    throw new IllegalStateException("exec true failed");
                }
                if (i >= 3) {
                    rtt.add(ms(System.nanoTime() - t0));
                }
            }
            Collections.sort(rtt);
            String figures = String.format("exec true p50 %.1f ms, p99 %.1f ms | stream %s", median(rtt), rtt.get(98),
                    stream(box));
            System.out.println(kernel + ": " + figures);
            System.out.println(kernel + ": memory given back: " + burst(box));
            return figures;
        } finally {
            rt.remove(box.name(), true);
        }
    }

    /** Interleaved floor and create→ready boots with one kernel: {median floor, median create→ready}. */
    static double[] boots(Platform p, Path poweroff, String kernel, int boots) throws Exception {
        List<Double> floor = new ArrayList<>();
        List<Double> ready = new ArrayList<>();
        Runnable body = () -> {
            try {
                SandboxService rt = p.runtime();
                // Warm-up (not counted): builds builtin:busybox, its EROFS root and this kernel's agent initramfs.
                SandboxHandle warm = create(rt, "warm-" + kernel);
                long pid = warm.info().currentRun().orElseThrow().pid();
                System.out.println(kernel + ": QEMU " + Platform.qemuArgs(pid));
                List<String> cmd = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
                Path kernelImage = Path.of(cmd.get(cmd.indexOf("-kernel") + 1));
                Path root = rootDisk(cmd);
                rt.remove(warm.name(), true);
                Path floorInitramfs = floorInitramfs(p, poweroff);
                floorBoot(p, kernelImage, floorInitramfs, root, -1); // not counted
                for (int i = 0; i < boots; i++) { // interleaved, so both see the same host load
                    floor.add(floorBoot(p, kernelImage, floorInitramfs, root, i));
                    long t0 = System.nanoTime();
                    SandboxHandle box = create(rt, "boot-" + kernel + "-" + i);
                    ready.add(ms(System.nanoTime() - t0));
                    rt.remove(box.name(), true);
                    System.out.printf("%s boot %d: floor %6.0f ms, create→ready %6.0f ms%n", kernel, i, floor.get(i),
                            ready.get(i));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        body.run();
        double f = median(floor);
        double r = median(ready);
        System.out.printf("%s: median floor %.0f ms (%.0f–%.0f) | create→ready %.0f ms (%.0f–%.0f) | ratio %.2f%n",
                kernel, f, Collections.min(floor), Collections.max(floor), r, Collections.min(ready),
                Collections.max(ready), r / f);
        return new double[] {f, r};
    }

    /**
     * The agent initramfs the backend built last (the current kernel's: its module set) with a second archive
     * appended whose /init powers off: the kernel unpacks both, the later /init wins. Same unpacking work as a
     * sandbox's boot, nothing after it.
     */
    static Path floorInitramfs(Platform p, Path poweroff) throws Exception {
        Path agent;
        try (Stream<Path> s = Files.list(p.home.resolve("cache/initramfs"))) {
            agent = s.filter(f -> f.toString().endsWith(".cpio"))
                    .max(Comparator.comparingLong(f -> f.toFile().lastModified())).orElseThrow();
        }
        Path dir = Files.createTempDirectory(p.home, "floor-init-");
        Files.copy(poweroff, dir.resolve("init"));
        dir.resolve("init").toFile().setExecutable(true, false);
        Path extra = dir.resolve("init.cpio");
        Process cpio = new ProcessBuilder("sh", "-c", "echo init | cpio -o -H newc -R 0:0 > init.cpio")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        if (cpio.waitFor() != 0) {
            throw new IllegalStateException("cpio failed: " + new String(cpio.getInputStream().readAllBytes()));
        }
        Path out = dir.resolve("floor.cpio");
        Files.write(out, Files.readAllBytes(agent));
        Files.write(out, Files.readAllBytes(extra), java.nio.file.StandardOpenOption.APPEND);
        out.toFile().setReadable(true, false); // QEMU may run as msb-qemu
        dir.toFile().setExecutable(true, false);
        return out;
    }

    /** The sandbox's read-only root disk (its EROFS image, which outlives the sandbox) from QEMU's arguments. */
    static Path rootDisk(List<String> qemuArgs) {
        return qemuArgs.stream().filter(a -> a.startsWith("id=disk") && a.contains(",readonly=on"))
                .map(a -> a.replaceAll(".*,file=([^,]+),.*", "$1")).map(Path::of).findFirst()
                .orElseThrow(() -> new IllegalStateException("no read-only root disk in " + qemuArgs));
    }

    /**
     * The floor VM gets the sandbox's devices: its root disk and an upper of the same size (a sparse copy of the
     * cached template), so the kernel probes the same two virtio disks in both; the floor's /init uses neither.
     */
    static double floorBoot(Platform p, Path kernel, Path initramfs, Path root, int i) throws Exception {
        Path dir = Files.createTempDirectory(p.home, "floor-");
        Path upper = dir.resolve("upper.ext4");
        Path template;
        try (Stream<Path> s = Files.list(p.home.resolve("cache/uppers"))) {
            template = s.filter(f -> f.toString().endsWith(".ext4")).findFirst().orElseThrow();
        }
        if (new ProcessBuilder("cp", "--sparse=always", template.toString(), upper.toString()).inheritIO().start()
                .waitFor() != 0) {
            throw new IllegalStateException("cp of the upper template " + template + " failed");
        }
        List<VmSpec.Disk> disks = List.of(new VmSpec.Disk(root, true, "raw"), new VmSpec.Disk(upper, false, "raw"));
        VmSpec spec = new VmSpec("floor-" + i, dir, kernel, initramfs, List.of(), disks, 1, MEMORY_MIB, false, null);
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

    static SandboxHandle create(SandboxService rt, String name) {
        return rt.create(SandboxSpec.builder(name).image("builtin:busybox").memoryMib(MEMORY_MIB).replace(true)
                .build());
    }

    /** A 200 MB file made in the guest (not timed), then its cat streamed to the host, bytes counted here. */
    static String stream(SandboxHandle box) throws Exception {
        var made = box.exec(ExecOptions.of("/bin/sh", "-c", "dd if=/dev/zero of=/root/big bs=1M count=" + STREAM_MB
                + " 2>/dev/null && sync").build());
        if (!made.exit().success()) {
            throw new IllegalStateException("dd in the guest failed: " + new String(made.stderr()));
        }
        AtomicLong bytes = new AtomicLong();
        long t0 = System.nanoTime();
        var exit = box.execStream(ExecOptions.of("cat", "/root/big").build(), e -> {
            if (e instanceof ExecEvent.Stdout out) {
                bytes.addAndGet(out.data().length);
            }
        }).waitFor(Duration.ofMinutes(10));
        double s = (System.nanoTime() - t0) / 1e9;
        if (exit == null || !exit.success() || bytes.get() != STREAM_MB * (1L << 20)) {
            throw new IllegalStateException("cat streamed " + bytes.get() + " bytes, exit " + exit);
        }
        return String.format("cat of %d MiB: %.1f s, %.1f MB/s (%.1f MiB/s)", STREAM_MB, s, bytes.get() / 1e6 / s,
                bytes.get() / 1048576.0 / s);
    }

    /**
     * Free page reporting (decision 1913): QEMU's RSS before, with 200 MiB in the guest's tmpfs, and 10 s after that
     * file is removed.
     */
    static String burst(SandboxHandle box) throws Exception {
        long pid = box.info().currentRun().orElseThrow().pid();
        long before = rssKib(pid);
        var made = box.exec(ExecOptions.of("/bin/sh", "-c", "dd if=/dev/zero of=/dev/shm/burst bs=1M count=200"
                + " 2>/dev/null").build());
        long full = rssKib(pid);
        box.exec(ExecOptions.of("rm", "-f", "/dev/shm/burst").build());
        Thread.sleep(10_000);
        return String.format("QEMU RSS %.0f MiB, with 200 MiB in the guest's tmpfs %.0f MiB (dd %s), 10 s after its"
                + " removal %.0f MiB", before / 1024.0, full / 1024.0, made.exit().success() ? "ok" : "failed",
                rssKib(pid) / 1024.0);
    }

    /**
     * {@code idle} sandboxes created one after the other and left idle: RSS/PSS per sandbox (QEMU, and the launcher
     * helpers). Then more, until a create fails or takes more than twice {@code readyMs}, or {@code cap} run.
     */
    static void memory(Platform p, SandboxService rt, int idle, int cap, double readyMs) throws Exception {
        long jvmBefore = rssKib(ProcessHandle.current().pid());
        List<Long> pids = new ArrayList<>();
        System.out.println("running | create of the k-th | QEMU RSS per VM | QEMU PSS per VM | helpers RSS per VM");
        int k = 0;
        int density = -1;
        String stop = "cap of " + cap + " reached";
        while (k < idle || (density < 0 && k < cap)) {
            long t0 = System.nanoTime();
            SandboxHandle s;
            try {
                s = create(rt, "idle-" + (k + 1));
            } catch (RuntimeException e) {
                stop = "create " + (k + 1) + " failed: " + e.getMessage();
                density = k;
                break;
            }
            double create = ms(System.nanoTime() - t0);
            pids.add(s.info().currentRun().orElseThrow().pid());
            k++;
            if (k == idle) {
                Thread.sleep(10_000); // idle: the guests' free page reporting runs 2 s after memory is freed
                long rss = 0;
                long pss = 0;
                long helpers = 0;
                for (long pid : pids) {
                    rss += rssKib(pid);
                    pss += rollup(pid, "Pss:");
                    helpers += helpersKib(pid);
                }
                System.out.printf("%7d | %15.0f ms | %11.1f MiB | %11.1f MiB | %14.1f MiB   (JVM RSS +%.1f MiB)%n",
                        k, create, rss / 1024.0 / k, pss / 1024.0 / k, helpers / 1024.0 / k,
                        (rssKib(ProcessHandle.current().pid()) - jvmBefore) / 1024.0);
                System.out.printf("idle memory: %d sandboxes, QEMU RSS %.1f MiB and PSS %.1f MiB per sandbox%n", k,
                        rss / 1024.0 / k, pss / 1024.0 / k);
                System.out.println("where one idle sandbox's QEMU RSS goes: " + breakdown(pids.get(0)));
            } else {
                System.out.printf("%7d | %15.0f ms%n", k, create);
            }
            if (density < 0 && create > 2 * readyMs) {
                stop = "create " + k + " took " + Math.round(create) + " ms, over twice " + Math.round(readyMs) + " ms";
                density = k - 1;
            }
        }
        System.out.printf("density: %d idle sandboxes running before %s (load %s)%n", density < 0 ? k : density,
                stop, loadavg());
        for (var info : rt.list(io.msb.api.LabelSelector.ALL)) {
            rt.remove(info.name(), true);
        }
    }

    /** Where one QEMU's RSS goes (QemuMemory's split of its smaps). */
    static String breakdown(long pid) throws Exception {
        QemuMemory m = QemuMemory.of(pid, MEMORY_MIB);
        return String.format("guest RAM %.1f MiB, TCG translation cache %.1f MiB, files %.1f MiB, other %.1f MiB",
                m.guestRam(), m.tcg(), m.files(), m.anon());
    }

    static String loadavg() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).trim();
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
