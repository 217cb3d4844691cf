package io.msb.bench.store;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.testing.EmbeddedMsb;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Sandbox-create throughput of the store, single thread: one create = insertSandbox with two labels plus
 * startRun, each its own committed transaction, as the runtime does it. Usage:
 * {@code StoreBench [records=10000] [warmup=2000]}.
 */
public final class StoreBench {
    static final String CONFIG = "{\"image\":\"docker.io/library/alpine:3\",\"cpus\":1,\"memoryMib\":512}";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        System.out.printf("store benchmark: %d creates after %d warm-up, single thread, %s%n", n, warmup,
                Runtime.version());

        Path home = Files.createTempDirectory("msb-store-bench");
        Path file = home.resolve("db/msb.mv.db");
        try {
            try (EmbeddedMsb msb = open(home)) {
                SandboxStore store = msb.service(SandboxStore.class);
                run(store, n, warmup);
                System.out.printf("  database file while open: %.1f MiB%n", Files.size(file) / 1048576.0);
                long t0 = System.nanoTime();
                int listed = 0;
                for (int i = 0; i < 100; i++) {
                    listed = store.listSandboxes(LabelSelector.parse("shard=" + (i % 10))).size();
                }
                System.out.printf("  listSandboxes(shard=N, %d of %d match): %.2f ms per call%n", listed,
                        n + warmup, (System.nanoTime() - t0) / 1e6 / 100);
                t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    store.findSandbox("s-" + i).orElseThrow();
                }
                System.out.printf("  findSandbox: %.0f reads/s%n", n / ((System.nanoTime() - t0) / 1e9));
            }
            System.out.printf("  database file after close: %.1f MiB%n", Files.size(file) / 1048576.0);
        } finally {
            delete(home);
        }
    }

    /** The store bundle in an embedded Felix, as the server runs it, with 4 connections; closing it closes the store. */
    static EmbeddedMsb open(Path home) {
        return EmbeddedMsb.builder(home).bundles("io.msb.store").configure("io.msb.store", Map.of("maxConnections", 4))
                .start();
    }

    private static void run(SandboxStore store, int n, int warmup) {
        for (int i = 0; i < warmup; i++) {
            create(store, "warm-" + i, i);
        }
        long[] nanos = new long[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            create(store, "s-" + i, i);
            nanos[i] = System.nanoTime() - t;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Arrays.sort(nanos);
        System.out.printf("  %.0f creates/s (%d in %.2f s); latency p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
                n / seconds, n, seconds, nanos[n / 2] / 1e6, nanos[(int) (n * 0.99)] / 1e6,
                nanos[n - 1] / 1e6);
    }

    private static void create(SandboxStore store, String name, int i) {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, CONFIG, SandboxStatus.CREATED, false,
                Map.of("bench", "create", "shard", Integer.toString(i % 10)), now, now));
        store.startRun(name, 10_000 + i, now, SandboxStatus.RUNNING);
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
