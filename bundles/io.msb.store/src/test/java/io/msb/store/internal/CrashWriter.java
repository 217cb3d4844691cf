package io.msb.store.internal;

import io.msb.api.SandboxStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Child process of {@link CrashDurabilityTest}: several threads create sandboxes (labels and a run), stop
 * some and delete some, the way a busy runtime does, with an occasional idle pause (which is when H2's
 * background writer used to store asynchronously). Each change is printed only after its store method
 * returned: {@code + name}, {@code r name} (run started), {@code s name} (stopped), {@code - name}
 * (deleted). Runs until it is killed.
 */
public final class CrashWriter {
    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(args[0]);
        String prefix = args[1];
        int threads = Integer.parseInt(args[2]);
        JdbcSandboxStore store = H2Store.open(home, threads);
        for (int t = 0; t < threads; t++) {
            String tag = prefix + "-" + t + "-";
            Thread w = new Thread(() -> write(store, tag), "writer-" + t);
            w.start();
        }
        Thread.currentThread().join(); // until killed
    }

    private static void write(JdbcSandboxStore store, String tag) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (long i = 0; ; i++) {
            String name = tag + i;
            store.insertSandbox(StoreFixture.sandbox(name, Map.of("i", Long.toString(i))));
            ack("+", name);
            store.startRun(name, 1000 + i, Instant.now(), SandboxStatus.RUNNING);
            ack("r", name);
            if (i % 2 == 0) {
                store.updateStatus(name, SandboxStatus.STOPPED, Instant.now());
                ack("s", name);
            }
            if (i % 3 == 0) {
                store.deleteSandbox(name);
                ack("-", name);
            }
            if (random.nextInt(40) == 0) {
                pause(400 + random.nextInt(400)); // idle long enough for a background store to start
            }
        }
    }

    private static void ack(String change, String name) {
        System.out.println(change + " " + name); // println holds the stream's lock: one whole line per change
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
