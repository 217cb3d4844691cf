package io.msb.store.internal;

import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import org.h2.util.OsgiDataSourceFactory;

/**
 * Child process of {@link CrashDurabilityTest}: several threads create sandboxes (labels and a run), stop
 * some and delete some, the way a busy runtime does, with an occasional idle pause (which is when H2's
 * background writer used to store asynchronously). Each change is printed only after its store method
 * returned: {@code + name}, {@code r name} (run started), {@code s name} (stopped), {@code - name}
 * (deleted). Runs until it is killed. A writer thread that fails halts the JVM (status 3) after printing its
 * error, and a thread stuck on one change for {@link #STUCK_SECONDS} prints a dump of all threads and halts it
 * (status 4), so the test fails with the cause instead of going on with fewer writers or hanging. With a fourth
 * argument {@code rotating}, a thread also closes, compacts and reopens the database file all the while.
 */
public final class CrashWriter {
    /** Far beyond a change's worst latency (LOCK_TIMEOUT is 10 s): only a hang gets here. */
    static final int STUCK_SECONDS = 120;

    public static void main(String[] args) throws InterruptedException {
        Path home = Path.of(args[0]);
        String prefix = args[1];
        int threads = Integer.parseInt(args[2]);
        boolean rotating = args.length > 3 && args[3].equals("rotating");
        H2File file = H2File.open(new OsgiDataSourceFactory(org.h2.Driver.load()), home, threads,
                StoreConfig.COMPACT_ABOVE_MIB);
        SandboxStore store = new JdbcSandboxStore(new Database(file));
        if (rotating) {
            rotateForever(file);
        }
        AtomicLongArray progress = new AtomicLongArray(threads);
        for (int t = 0; t < threads; t++) {
            String tag = prefix + "-" + t + "-";
            int slot = t;
            Thread w = new Thread(() -> write(store, tag, progress, slot), "writer-" + t);
            w.setUncaughtExceptionHandler((thread, e) -> {
                System.err.println(thread.getName() + " failed:");
                e.printStackTrace();
                Runtime.getRuntime().halt(3);
            });
            w.start();
        }
        long[] seen = new long[threads];
        int[] stuck = new int[threads];
        while (true) { // until killed
            Thread.sleep(1000);
            for (int t = 0; t < threads; t++) {
                long now = progress.get(t);
                stuck[t] = now == seen[t] ? stuck[t] + 1 : 0;
                seen[t] = now;
                if (stuck[t] >= STUCK_SECONDS) {
                    dumpThreads("writer-" + t + " made no change for " + STUCK_SECONDS + " s");
                    Runtime.getRuntime().halt(4);
                }
            }
        }
    }

    /** Rotates the file every 50 ms (each rotation takes tens of ms), so that many kills land inside one. */
    private static void rotateForever(H2File file) {
        Thread rotator = new Thread(() -> {
            while (true) {
                file.rotate();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rotator");
        rotator.setDaemon(true);
        rotator.setUncaughtExceptionHandler((thread, e) -> {
            System.err.println("rotation failed:");
            e.printStackTrace();
            Runtime.getRuntime().halt(3);
        });
        rotator.start();
    }

    private static void dumpThreads(String why) {
        System.err.println(why + "; threads:");
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            System.err.println("\"" + thread.getName() + "\" " + thread.getState());
            for (StackTraceElement frame : stack) {
                System.err.println("    at " + frame);
            }
        });
        System.err.flush();
    }

    private static void write(SandboxStore store, String tag, AtomicLongArray progress, int slot) {
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
            progress.incrementAndGet(slot);
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
