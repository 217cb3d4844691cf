package io.msb.bench.store;

import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * Growth of the database file, single thread: {@code cycles} create/rm cycles (insertSandbox, startRun,
 * terminateRun, deleteSandbox, each its own committed transaction, as `msb run` then `msb rm` does), then
 * {@code updates} status updates of one sandbox, then {@code idle} seconds without writes, printing the file
 * size as it goes and after close, and the slowest cycle (writes wait while the store compacts the file). Usage:
 * {@code GrowthBench [cycles=12000] [updates=0] [idle=0]}.
 */
public final class GrowthBench {
    public static void main(String[] args) throws Exception {
        int cycles = args.length > 0 ? Integer.parseInt(args[0]) : 12_000;
        int updates = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        int idle = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        System.out.printf("store growth: %d create/rm cycles, %d status updates, %d s idle, %s%n", cycles,
                updates, idle, Runtime.version());
        Path home = Files.createTempDirectory("msb-store-growth");
        Path file = home.resolve("db/msb.mv.db");
        try {
            try (EmbeddedMsb msb = StoreBench.open(home)) {
                SandboxStore store = msb.service(SandboxStore.class);
                long start = System.nanoTime();
                long slowest = 0;
                for (int i = 1; i <= cycles; i++) {
                    long cycleStart = System.nanoTime();
                    Instant now = Instant.now();
                    String name = "g-" + i;
                    store.insertSandbox(new SandboxRecord(name, StoreBench.CONFIG, SandboxStatus.CREATED, false,
                            Map.of("bench", "growth"), now, now));
                    RunRecord run = store.startRun(name, 10_000 + i, now, SandboxStatus.RUNNING);
                    store.terminateRun(run.id(), TerminationReason.COMPLETED, 0, null, now, SandboxStatus.STOPPED);
                    store.deleteSandbox(name);
                    slowest = Math.max(slowest, System.nanoTime() - cycleStart);
                    if (i % 2_000 == 0 || i == cycles) {
                        report(file, start, i + " cycles");
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("  %.0f cycles/s (%d in %.1f s), slowest cycle %.1f ms (it waited for any compaction)%n",
                        cycles / seconds, cycles, seconds, slowest / 1e6);
                if (updates > 0) {
                    store.insertSandbox(new SandboxRecord("u", StoreBench.CONFIG, SandboxStatus.CREATED, false,
                            Map.of(), Instant.now(), Instant.now()));
                    long t0 = System.nanoTime();
                    for (int i = 1; i <= updates; i++) {
                        store.updateStatus("u", i % 2 == 0 ? SandboxStatus.RUNNING : SandboxStatus.STOPPED,
                                Instant.now());
                        if (i % 20_000 == 0 || i == updates) {
                            report(file, start, i + " status updates");
                        }
                    }
                    System.out.printf("  %.0f status updates/s%n", updates / ((System.nanoTime() - t0) / 1e9));
                }
                for (int s = 10; s <= idle; s += 10) {
                    Thread.sleep(10_000);
                    report(file, start, "idle " + s + " s");
                }
            }
            System.out.printf("  database file after close: %.1f MiB%n", Files.size(file) / 1048576.0);
        } finally {
            StoreBench.delete(home);
        }
    }

    private static void report(Path file, long start, String what) throws java.io.IOException {
        System.out.printf("  %-22s %6.1f s  file %8.1f MiB%n", what, (System.nanoTime() - start) / 1e9,
                Files.size(file) / 1048576.0);
    }
}
