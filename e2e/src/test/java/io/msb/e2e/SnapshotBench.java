package io.msb.e2e;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Disk snapshot timings (bench/snapshot/README.md): a builtin:busybox sandbox writes {@code mib} MiB of random bytes
 * to its root and stops; then {@code rounds} times each: snapshot create (copy + sha256 + manifest + rename), a
 * sandbox created from the snapshot until its agent is ready (copy + sha256 check + boot), and a cold create from the
 * image for comparison; with {@code cp} and {@code sha256sum} of the same upper on their own. Prints p50/p99/min/max;
 * never asserts. Usage: bench/snapshot/run.sh [mib=100] [rounds=5]. Its helpers also serve {@link MemorySnapshotBench}.
 */
public final class SnapshotBench {
    private SnapshotBench() {
    }

    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim() + ", cpus "
                + Runtime.getRuntime().availableProcessors() + ", " + mib + " MiB written, " + rounds + " rounds");
        try (Platform p = Platform.open(Platform.kernelCache())) {
            System.out.println("file system of " + p.home + ": " + run("stat", "-f", "-c", "%T", p.home.toString()));
            SandboxHandle src = p.create("bench-snap-src", false);
            Platform.sh(src, "dd if=/dev/urandom of=/root/blob bs=1M count=" + mib + " 2>/dev/null && sync");
            p.runtime().stop("bench-snap-src", Duration.ofSeconds(10));
            Path upper = p.home.resolve("sandboxes/bench-snap-src/upper.ext4");
            System.out.println("upper: " + Files.size(upper) / (1 << 20) + " MiB logical, "
                    + run("du", "-m", upper.toString()).split("\\s")[0] + " MiB allocated");

            List<Double> cp = new ArrayList<>();
            List<Double> sha = new ArrayList<>();
            List<Double> snapshot = new ArrayList<>();
            List<Double> fromSnapshot = new ArrayList<>();
            List<Double> cold = new ArrayList<>();
            Path scratch = p.home.resolve("bench-copy.ext4");
            for (int i = 0; i < rounds; i++) {
                cp.add(time(() -> run("cp", "--reflink=auto", "--sparse=always", upper.toString(), scratch.toString())));
                sha.add(time(() -> run("sha256sum", scratch.toString())));
                Files.delete(scratch);
                snapshot.add(time(() -> p.snapshots().create("bench-snap", "bench-snap-src", Map.of(), true)));
                fromSnapshot.add(time(() -> p.runtime().create(SandboxSpec.builder("bench-snap-copy")
                        .fromSnapshot("bench-snap").replace(true).build())));
                require(Platform.sh(p.runtime().handle("bench-snap-copy"), "ls -l /root/blob").exit().success());
                p.runtime().remove("bench-snap-copy", true);
                cold.add(time(() -> p.create("bench-snap-cold", false)));
                p.runtime().remove("bench-snap-cold", true);
            }
            SnapshotInfo info = p.snapshots().get("bench-snap").orElseThrow();
            System.out.println("snapshot upper " + info.sizeBytes() / (1 << 20) + " MiB logical");
            print("cp --reflink=auto --sparse=always", cp);
            print("sha256sum of the copy", sha);
            print("snapshot create", snapshot);
            print("create from snapshot (ready)", fromSnapshot);
            print("cold create from image (ready)", cold);
        }
        System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
    }

    /** One timed step of a bench. */
    interface Step {
        void run() throws Exception;
    }

    /** How long {@code step} took, in milliseconds. */
    static double time(Step step) throws Exception {
        long t0 = System.nanoTime();
        step.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /** One line: {@code what}, then p50, p99 (nearest rank), min and max of {@code ms}. */
    static void print(String what, List<Double> ms) {
        List<Double> s = new ArrayList<>(ms);
        Collections.sort(s);
        double p99 = s.get((int) Math.ceil(0.99 * s.size()) - 1);
        System.out.printf("%-38s n=%d p50 %.0f ms, p99 %.0f ms, min %.0f ms, max %.0f ms%n", what, s.size(),
                s.get(s.size() / 2), p99, s.get(0), s.get(s.size() - 1));
    }

    /** Runs a host program, which must succeed; its output, trimmed. */
    static String run(String... command) throws Exception {
        Process proc = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes()).trim();
        require(proc.waitFor() == 0);
        return out;
    }

    static void require(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("a step failed");
        }
    }
}
