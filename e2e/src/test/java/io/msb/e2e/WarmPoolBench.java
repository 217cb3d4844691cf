package io.msb.e2e;

import io.msb.api.PlatformInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.network.NetworkPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Warm-pool timings (bench/pool/README.md): with a pool of builtin:busybox (1 vCPU, 512 MiB, network) configured,
 * {@code creates} times: wait until a VM is ready (not timed), then create a sandbox of the pool's kind and run
 * {@code echo hi} in it, timing the create and create→first exec output; then the same for cold creates (the pool
 * deleted) and for creates from the pool's resumable template snapshot (a restore without a pool). Prints
 * p50/p99/min/max; never asserts. Usage: bench/pool/run.sh [creates=100] [cold=10].
 */
public final class WarmPoolBench {
    private WarmPoolBench() {
    }

    public static void main(String[] args) throws Exception {
        int creates = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int coldCreates = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim() + ", cpus "
                + Runtime.getRuntime().availableProcessors() + ", " + creates + " warm creates, " + coldCreates
                + " cold and restored");
        try (Platform p = Platform.open(Platform.kernelCache())) {
            p.configurePool("bench", Map.of("image", Platform.IMAGE, "size", 2, "detached", false));
            List<Double> warmCreate = new ArrayList<>();
            List<Double> warmExec = new ArrayList<>();
            for (int i = 0; i < creates; i++) {
                Platform.await("a ready VM", () -> pool(p).ready() > 0);
                measure(p, "bench-warm", warmCreate, warmExec);
            }
            System.out.println("pool after the warm creates: " + pool(p));
            printFailedEntry(p);
            String template = p.snapshots().list().stream().filter(s -> s.name().startsWith("pool-"))
                    .findFirst().orElseThrow().name();
            p.deletePool("bench");
            Platform.await("the pool to go", () -> p.runtime().platform().pools().isEmpty());

            List<Double> coldCreate = new ArrayList<>();
            List<Double> coldExec = new ArrayList<>();
            List<Double> restoreCreate = new ArrayList<>();
            List<Double> restoreExec = new ArrayList<>();
            for (int i = 0; i < coldCreates; i++) {
                measure(p, "bench-cold", coldCreate, coldExec);
                measure(p, SandboxSpec.builder("bench-restored").fromSnapshot(template).replace(true).build(),
                        restoreCreate, restoreExec);
            }
            System.out.println("template snapshot " + template + ": memory.bin "
                    + Files.size(p.snapshots().get(template).orElseThrow().path().resolve("memory.bin")) / (1 << 20)
                    + " MiB");
            SnapshotBench.print("warm create (handle returned)", warmCreate);
            SnapshotBench.print("warm create -> first exec output", warmExec);
            SnapshotBench.print("restore of the template (handle returned)", restoreCreate);
            SnapshotBench.print("restore of the template -> first exec", restoreExec);
            SnapshotBench.print("cold create (handle returned)", coldCreate);
            SnapshotBench.print("cold create -> first exec output", coldExec);
        }
        System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
    }

    /** The logs of the last entry that failed to warm (WarmPool keeps its directory), if one did. */
    private static void printFailedEntry(Platform p) throws java.io.IOException {
        Path pool = p.home.resolve("pool");
        try (var dirs = Files.list(pool)) {
            for (Path failed : dirs.filter(d -> d.getFileName().toString().endsWith("-failed")).toList()) {
                for (String log : List.of("logs/qemu.log", "logs/kernel.log")) {
                    Path file = failed.resolve(log);
                    if (Files.exists(file)) {
                        List<String> lines = Files.readAllLines(file);
                        System.out.println(failed.getFileName() + "/" + log + " (last lines):");
                        lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> System.out.println("  " + l));
                    }
                }
            }
        }
    }

    private static PlatformInfo.Pool pool(Platform p) {
        return p.runtime().platform().pools().stream().findFirst().orElseThrow();
    }

    private static void measure(Platform p, String name, List<Double> create, List<Double> exec) throws Exception {
        measure(p, SandboxSpec.builder(name).image(Platform.IMAGE).networkPolicy(NetworkPolicy.defaults())
                .env("BENCH", "1").replace(true).build(), create, exec);
    }

    private static void measure(Platform p, SandboxSpec spec, List<Double> create, List<Double> exec) throws Exception {
        long t0 = System.nanoTime();
        SandboxHandle box = p.runtime().create(spec);
        long t1 = System.nanoTime();
        String out = box.exec(ExecOptions.of("echo", "hi").build()).stdoutText();
        long t2 = System.nanoTime();
        if (!out.equals("hi\n")) {
            throw new IllegalStateException(spec.name() + " said " + out);
        }
        create.add((t1 - t0) / 1e6);
        exec.add((t2 - t0) / 1e6);
        p.runtime().remove(spec.name(), true);
    }
}
