package io.msb.store.internal;

import io.msb.api.SandboxStatus;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * Child process of {@link CrashDurabilityTest}: writes sandboxes (with labels and a run) in a loop and
 * prints each name only after its transactions committed, until it is killed.
 */
public final class CrashWriter {
    public static void main(String[] args) {
        try (JdbcSandboxStore store = H2Store.open(Path.of(args[0]), 2)) {
            for (long i = 0; ; i++) {
                String name = "crash-" + i;
                Instant now = Instant.now();
                store.insertSandbox(StoreFixture.sandbox(name, Map.of("i", Long.toString(i))));
                store.startRun(name, 1000 + i, now, SandboxStatus.RUNNING);
                System.out.println(name);
                System.out.flush();
            }
        }
    }
}
