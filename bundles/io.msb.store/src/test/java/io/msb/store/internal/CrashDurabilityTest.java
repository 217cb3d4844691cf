package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kill -9 of the JVM while several threads write must not lose any change whose store method returned:
 * creates, runs, status updates and deletes. Several crashes in a row on the same database, each at a random
 * moment, each followed by a check of every acknowledged change; in every other round the database file is
 * compacted and reopened while the writers run.
 */
class CrashDurabilityTest {
    private static final int CRASHES = Integer.getInteger("crash.rounds", 3);
    private static final int THREADS = 4;

    @TempDir
    Path home;

    @Test
    void sigkillLosesNoAcknowledgedChange() throws Exception {
        for (int round = 0; round < CRASHES; round++) {
            // every other round the file is rotated all the while (H2File.rotate), so kills land inside rotations
            Map<String, String> last = crashWhileWriting("c" + round, round % 2 == 1);
            try (H2Store db = H2Store.open(home, 2)) {
                SandboxStore store = db.sandboxes();
                for (Map.Entry<String, String> e : last.entrySet()) {
                    String name = e.getKey();
                    var sandbox = store.findSandbox(name);
                    String where = " (round " + round + ", last acknowledged change '" + e.getValue() + "')";
                    if (e.getValue().equals("-")) {
                        assertFalse(sandbox.isPresent(), "acknowledged delete lost: " + name + where);
                        continue;
                    }
                    if (sandbox.isEmpty() && deleteInFlight(name, last)) {
                        continue; // the writer's next step, a delete, committed without being acknowledged
                    }
                    assertTrue(sandbox.isPresent(), "acknowledged create lost: " + name + where);
                    if (!e.getValue().equals("+")) {
                        assertTrue(store.latestRun(name).isPresent(), "acknowledged run lost: " + name + where);
                    }
                    if (e.getValue().equals("s")) {
                        assertEquals(SandboxStatus.STOPPED, sandbox.get().status(),
                                "acknowledged status update lost: " + name + where);
                    }
                }
            }
        }
    }

    /** Runs a {@link CrashWriter}, SIGKILLs it at a random moment, returns each name's last acknowledged change. */
    private Map<String, String> crashWhileWriting(String prefix, boolean rotating) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashWriter.class.getName(), home.toString(), prefix, Integer.toString(THREADS),
                rotating ? "rotating" : "steady")
                .redirectError(home.resolve(prefix + ".err").toFile())
                .start();
        int killAfter = 200 + ThreadLocalRandom.current().nextInt(1500);
        Map<String, String> last = new LinkedHashMap<>();
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            int read = 0;
            while (read < killAfter && (line = out.readLine()) != null) {
                record(last, line);
                read++;
            }
            assertEquals(killAfter, read, () -> "the writer stopped early: " + errors(prefix));
            // the writers are still committing while the JVM dies. Through the ProcessHandle, unlike
            // Process.destroyForcibly, the kill leaves our end of its stdout open to drain.
            assertTrue(child.toHandle().destroyForcibly(), "SIGKILL sent");
            assertEquals(128 + 9, child.waitFor(), "exit status of a SIGKILLed process");
            // lines printed between our last read and the kill were acknowledged too
            while ((line = out.readLine()) != null) {
                record(last, line);
            }
        } finally {
            child.destroyForcibly();
        }
        return last;
    }

    /**
     * True for the last name a writer thread touched when that name is one the writer deletes: the delete may
     * have committed just before the kill, before it was printed.
     */
    private static boolean deleteInFlight(String name, Map<String, String> last) {
        int dash = name.lastIndexOf('-');
        String thread = name.substring(0, dash + 1);
        long i = Long.parseLong(name.substring(dash + 1));
        return i % 3 == 0 && !last.containsKey(thread + (i + 1));
    }

    private String errors(String prefix) {
        try {
            return Files.readString(home.resolve(prefix + ".err"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void record(Map<String, String> last, String line) {
        int space = line.indexOf(' ');
        if (space > 0) { // a partial last line (killed mid-write) has no change before a name
            last.put(line.substring(space + 1), line.substring(0, space));
        }
    }
}
