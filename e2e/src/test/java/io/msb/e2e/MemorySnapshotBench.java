package io.msb.e2e;

import static io.msb.e2e.SnapshotBench.print;
import static io.msb.e2e.SnapshotBench.require;
import static io.msb.e2e.SnapshotBench.run;
import static io.msb.e2e.SnapshotBench.time;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resumable snapshot timings (bench/snapshot/README.md): a running builtin:busybox sandbox, then {@code rounds} times
 * each: its capture ({@code SnapshotService.createResumable}), a sandbox created from that snapshot until the handle
 * returns (the VM restored, resumed, its agent reconnected and the new identity applied), that sandbox's first exec
 * ({@code echo hi}) after the create returned, and the same two for a cold create of the image. Then the stages of a
 * restore and of a boot as the runtime logs them at DEBUG (VmBooter). Prints p50/p99/min/max; never asserts on time.
 * Usage: bench/snapshot/run.sh memory [rounds=10].
 */
public final class MemorySnapshotBench {
    private static final String SOURCE = "bench-mem-src";
    private static final String SNAPSHOT = "bench-mem";

    private MemorySnapshotBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.out.println("uptime at start: " + run("uptime") + "; cpus " + Runtime.getRuntime().availableProcessors()
                + ", " + rounds + " rounds");
        VmBooterStages stages = VmBooterStages.listen();
        try (Platform p = Platform.open(Platform.kernelCache())) {
            SandboxService runtime = p.runtime();
            SnapshotService snapshots = p.snapshots();
            SandboxHandle source = p.create(SOURCE, false);
            System.out.println("QEMU " + Platform.qemuArgs(source.info().currentRun().orElseThrow().pid()) + ", "
                    + source.info().spec().memoryMib() + " MiB guest");
            stages.clear(); // the source's boot is not a cold create of the rounds

            List<Double> capture = new ArrayList<>();
            List<Double> restore = new ArrayList<>();
            List<Double> restoredFirstExec = new ArrayList<>();
            List<Double> cold = new ArrayList<>();
            List<Double> coldFirstExec = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                capture.add(time(() -> snapshots.createResumable(SNAPSHOT, SOURCE, Map.of(), true)));
                AtomicReference<SandboxHandle> restored = new AtomicReference<>();
                restore.add(time(() -> restored.set(runtime.create(SandboxSpec.builder("bench-mem-copy")
                        .fromSnapshot(SNAPSHOT).build()))));
                restoredFirstExec.add(time(() -> echoHi(restored.get())));
                runtime.remove("bench-mem-copy", true);
                AtomicReference<SandboxHandle> booted = new AtomicReference<>();
                cold.add(time(() -> booted.set(p.create("bench-mem-cold", false))));
                coldFirstExec.add(time(() -> echoHi(booted.get())));
                runtime.remove("bench-mem-cold", true);
            }
            SnapshotInfo info = snapshots.get(SNAPSHOT).orElseThrow();
            System.out.println("snapshot " + info.path() + ": memory.bin "
                    + Files.size(info.path().resolve("memory.bin")) / (1 << 20) + " MiB, whole artifact "
                    + run("du", "-sm", info.path().toString()).split("\\s")[0] + " MiB allocated");
            print("capture (createResumable)", capture);
            print("create from resumable snapshot", restore);
            print("  then first exec (echo hi)", restoredFirstExec);
            print("cold create from image (ready)", cold);
            print("  then first exec (echo hi)", coldFirstExec);
            stages.print();
        }
        System.out.println("uptime at end: " + run("uptime"));
    }

    private static void echoHi(SandboxHandle sandbox) {
        require("hi".equals(Platform.sh(sandbox, "echo hi").stdoutText().strip()));
    }

    /**
     * The stage timings the runtime logs at DEBUG (FINE in java.util.logging) for each boot and restore
     * ({@code NAME restore: stage 1.2 ms, stage 3.4 ms, …; 9.9 ms in all}), gathered per stage.
     */
    private static final class VmBooterStages extends Handler {
        private static final Pattern LINE = Pattern.compile("\\S+ (boot|restore): (.*); [0-9.]+ ms in all");
        private static final Pattern STAGE = Pattern.compile("(.+) ([0-9.]+) ms");
        private final Map<String, List<Double>> byStage = new LinkedHashMap<>();
        /** Held: java.util.logging keeps its loggers weakly, and with one its level. */
        private final Logger logger = Logger.getLogger("io.msb.runtime.internal.Laps");

        static VmBooterStages listen() {
            VmBooterStages stages = new VmBooterStages();
            stages.setLevel(Level.FINE);
            stages.logger.setLevel(Level.FINE);
            stages.logger.addHandler(stages);
            return stages;
        }

        @Override
        public synchronized void publish(LogRecord record) {
            Matcher line = LINE.matcher(String.valueOf(record.getMessage()));
            if (!line.matches()) {
                return;
            }
            for (String part : line.group(2).split(", ")) {
                Matcher stage = STAGE.matcher(part);
                if (stage.matches()) {
                    byStage.computeIfAbsent(line.group(1) + ": " + stage.group(1), k -> new ArrayList<>())
                            .add(Double.parseDouble(stage.group(2)));
                }
            }
        }

        synchronized void clear() {
            byStage.clear();
        }

        synchronized void print() {
            System.out.println(byStage.isEmpty() ? "(no DEBUG timings from the runtime's Laps: is its jar older?)"
                    : "stages, as the runtime logs them:");
            byStage.forEach((stage, ms) -> SnapshotBench.print("  " + stage, ms));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
