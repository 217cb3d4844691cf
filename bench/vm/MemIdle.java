import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.e2e.Platform;
import io.msb.e2e.QemuMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where an idle sandbox's host memory goes, per guest kernel (issue 19 item 3, decisions 1915-1919): the floor first,
 * then real sandboxes, each split by mapping. For each kernel ({@code guestKernel} debian, then msb):
 * <ol>
 * <li>QEMU alone: a sandbox's own QEMU options (read from its command line) with {@code -S}, so the guest never runs;
 * <li>the kernel and an /init that only sleeps: the same options, booted, nothing else running in the guest;
 * <li>{@code idle} builtin:busybox sandboxes (512 MiB) left idle: RSS and PSS per sandbox, as fullstack.sh prints.
 * </ol>
 * A guest command ({@code sh -c}) run in each sandbox before measuring tries guest-side levers without rebuilding
 * agentd. Usage: bench/vm/mem-idle.sh [idle=10] [guest command]
 */
public class MemIdle {
    static final int MEMORY_MIB = 512;
    /** QEMU options the floor keeps from a sandbox's command line: no devices with host ends, no disks. */
    static final Set<String> KEPT = Set.of("-M", "-m", "-object", "-accel", "-cpu", "-smp", "-kernel", "-append",
            "-sandbox");

    public static void main(String[] args) throws Exception {
        Path idleInit = Path.of(args[0]);
        int idle = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String guestCommand = args.length > 2 ? args[2] : "";
        System.out.println("load at start: " + loadavg());
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            for (String kernel : List.of("debian", "msb")) {
                try {
                    p.withQemu(Map.of("guestKernel", kernel), () -> {
                        try {
                            measure(p, kernel, idleInit, idle, guestCommand);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                } catch (RuntimeException e) {
                    System.out.println(kernel + ": not measured (" + e.getMessage() + ")");
                }
            }
        }
        System.out.println("load at end: " + loadavg());
    }

    static void measure(Platform p, String kernel, Path idleInit, int idle, String guestCommand) throws Exception {
        List<SandboxHandle> boxes = new ArrayList<>();
        List<Double> creates = new ArrayList<>();
        try {
            for (int i = 0; i < idle; i++) {
                long t0 = System.nanoTime();
                SandboxHandle box = p.runtime().create(SandboxSpec.builder("mem-" + kernel + "-" + i)
                        .image("builtin:busybox").memoryMib(MEMORY_MIB).replace(true).build());
                creates.add((System.nanoTime() - t0) / 1e6);
                boxes.add(box);
                if (!guestCommand.isEmpty()) {
                    var r = box.exec(ExecOptions.of("/bin/sh", "-c", guestCommand).build());
                    if (!r.exit().success()) {
                        throw new IllegalStateException("guest command failed: " + new String(r.stderr()));
                    }
                    if (i == 0 && r.stdout().length > 0) {
                        String out = new String(r.stdout());
                        System.out.println(kernel + ": guest command's output: " + out.substring(0,
                                Math.min(out.length(), 4000)).trim());
                    }
                }
            }
            // What a lever could cost: create→ready and exec true (both also in fullstack.sh, with more boots).
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < 103; i++) {
                long t0 = System.nanoTime();
                boxes.get(0).exec(ExecOptions.of("true").build());
                if (i >= 3) {
                    rtt.add((System.nanoTime() - t0) / 1e6);
                }
            }
            Collections.sort(creates);
            Collections.sort(rtt);
            System.out.printf("%s: create→ready median %.0f ms (%.0f–%.0f) | exec true p50 %.1f ms, p99 %.1f ms"
                    + " (load %s)%n", kernel, creates.get(creates.size() / 2), creates.get(0),
                    creates.get(creates.size() - 1), rtt.get(49), rtt.get(98), loadavg());
            List<String> cmd = List.of(Files.readString(Path.of("/proc/" + pid(boxes.get(0)) + "/cmdline"))
                    .split("\0"));
            System.out.println(kernel + ": QEMU " + String.join(" ", floor(cmd, null, true)));
            Process paused = new ProcessBuilder(floor(cmd, null, true)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Process sleeping = new ProcessBuilder(floor(cmd, idleInit, false)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                Thread.sleep(15_000); // boots done; free page reporting runs 2 s after memory is freed
                System.out.println(kernel + ": QEMU alone, paused (-S):  "
                        + QemuMemory.of(paused.pid(), MEMORY_MIB));
                System.out.println(kernel + ": kernel + sleeping /init:  "
                        + QemuMemory.of(sleeping.pid(), MEMORY_MIB));
                double rss = 0;
                double pss = 0;
                for (SandboxHandle box : boxes) {
                    QemuMemory m = QemuMemory.of(pid(box), MEMORY_MIB);
                    rss += m.rss();
                    pss += m.pss();
                }
                System.out.println(kernel + ": one idle sandbox:          "
                        + QemuMemory.of(pid(boxes.get(0)), MEMORY_MIB));
                System.out.printf("%s: %d idle sandboxes: QEMU RSS %.1f MiB, PSS %.1f MiB per sandbox%n", kernel,
                        boxes.size(), rss / boxes.size(), pss / boxes.size());
                var meminfo = boxes.get(0).exec(ExecOptions.of("/bin/sh", "-c", "grep -E '^(MemTotal|MemFree|Cached"
                        + "|Shmem|Slab|PageTables|KernelStack|Percpu):' /proc/meminfo | tr -s ' ' | tr '\\n' ','")
                        .build());
                System.out.println(kernel + ": guest's view: " + new String(meminfo.stdout()).trim());
            } finally {
                paused.destroy();
                sleeping.destroy();
            }
        } finally {
            for (SandboxHandle box : boxes) {
                p.runtime().remove(box.name(), true);
            }
        }
    }

    static long pid(SandboxHandle box) {
        return box.info().currentRun().orElseThrow().pid();
    }

    /** The sandbox's QEMU options that shape its memory, with no host ends (console, sockets, disks). */
    static List<String> floor(List<String> cmd, Path initramfs, boolean paused) throws Exception {
        List<String> a = new ArrayList<>(List.of(cmd.get(0), "-nodefaults", "-no-user-config", "-display", "none",
                "-device", "virtio-balloon-device,free-page-reporting=on"));
        for (int i = 1; i < cmd.size() - 1; i++) {
            if (KEPT.contains(cmd.get(i))) {
                a.add(cmd.get(i));
                a.add(cmd.get(++i));
            }
        }
        if (paused) {
            a.add("-S");
        } else {
            Path cpio = Files.createTempFile("mem-idle-", ".cpio");
            Path dir = initramfs.toAbsolutePath().getParent();
            Process p = new ProcessBuilder("sh", "-c", "echo " + initramfs.getFileName() + " | cpio -o -H newc -R 0:0 > "
                    + cpio).directory(dir.toFile()).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("cpio failed");
            }
            cpio.toFile().deleteOnExit();
            a.addAll(List.of("-initrd", cpio.toString()));
        }
        return a;
    }

    static String loadavg() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }
}
