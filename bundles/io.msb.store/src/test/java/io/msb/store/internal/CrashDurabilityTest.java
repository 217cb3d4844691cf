package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A kill -9 of the JVM while it writes must not lose any row whose commit returned. */
class CrashDurabilityTest {
    private static final int COMMITTED_BEFORE_KILL = 300;

    @TempDir
    Path home;

    @Test
    void sigkillLosesNoCommittedRow() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), home.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> printed = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (printed.size() < COMMITTED_BEFORE_KILL && (line = out.readLine()) != null) {
                printed.add(line);
            }
            assertEquals(COMMITTED_BEFORE_KILL, printed.size(), "the writer stopped early");
            // the writer is still committing while it dies. Through the ProcessHandle, unlike
            // Process.destroyForcibly, the kill leaves our end of its stdout open to drain.
            assertTrue(child.toHandle().destroyForcibly(), "SIGKILL sent");
            assertEquals(128 + 9, child.waitFor(), "exit status of a SIGKILLed process");
            // lines it printed between our last read and the kill were committed too
            while ((line = out.readLine()) != null) {
                printed.add(line);
            }
        } finally {
            child.destroyForcibly();
        }

        try (JdbcSandboxStore store = H2Store.open(home, 2)) {
            for (String name : printed) {
                var s = store.findSandbox(name);
                assertTrue(s.isPresent(), "committed sandbox lost: " + name);
                assertEquals(Map.of("i", name.substring("crash-".length())), s.get().labels());
                assertTrue(store.latestRun(name).isPresent(), "committed run lost: " + name);
            }
        }
    }
}
