package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 17's hot swap in the running distribution (decisions 1701-1703): with two sandboxes running, the QEMU backend
 * bundle is stopped, started, updated, and the runtime's default backend changed, through the Karaf console as an
 * administrator would; the VMs (their QEMU pids) live through all of it, {@code msb ls} says when their backend is
 * away, and {@code msb exec} works in both. Last, the server is killed (SIGKILL) while the backend is stopped and
 * started again: the sandboxes are found running and reattached once the backend is back.
 */
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class BackendSwapIT {
    private static final List<String> BOXES = List.of("swap-a", "swap-b");
    private static final String QEMU = "io.msb.vmm.qemu";

    @Test
    void sandboxesLiveThroughStopStartAndUpdateOfTheirBackend() throws Exception {
        Platform.requireHostTools();
        try (MsbServer server = MsbServer.startBuilt()) {
            for (String box : BOXES) {
                server.msbOk("create", "--name", box, "--backend", "qemu", "builtin:busybox");
            }
            Map<String, Long> pids = pids(server);
            assertExecs(server, "created");

            server.console("bundle:stop " + QEMU);
            assertEquals(pids, pids(server), "the QEMU pids changed when the backend bundle stopped");
            assertListed(server, "running (backend unavailable)");
            String inspected = server.console("msb:inspect swap-a");
            assertTrue(inspected.contains("status: RUNNING (backend unavailable)"), inspected);
            assertTrue(inspected.contains("backend: qemu"), inspected);
            assertExecs(server, "away"); // the agent connection is the runtime's, not the backend's (decision 1702)
            HostCommand.Result pause = server.msb("pause", "swap-a");
            assertNotEquals(0, pause.exit(), pause.output());
            assertTrue(pause.output().contains("its VMM backend qemu is not running"), pause.output());

            server.console("bundle:start " + QEMU);
            awaitListed(server, "running");
            assertEquals(pids, pids(server));
            assertExecs(server, "started");
            server.msbOk("pause", "swap-a"); // through the fresh handle (QMP) the backend gave
            server.msbOk("resume", "swap-a");

            server.console("bundle:update " + QEMU);
            awaitListed(server, "running");
            assertEquals(pids, pids(server), "the QEMU pids changed when the backend bundle was updated");
            assertExecs(server, "updated");
            server.msbOk("pause", "swap-b"); // the updated bundle's handle
            server.msbOk("resume", "swap-b");

            // the default affects new creates only: the running sandboxes keep their backend
            server.console("config:property-set -p io.msb.runtime defaultBackend nosuch");
            awaitDefault(server, "nosuch");
            assertListed(server, "running");
            assertExecs(server, "reconfigured");
            assertEquals(pids, pids(server));
            // the libkrun backend is in the distribution; where libkrun or KVM is missing it says which
            if (Pattern.compile("Backend libkrun:\\s+not available").matcher(server.msbOk("info")
                    .output()).find()) {
                HostCommand.Result named = server.msb("run", "--name", "krun", "--backend", "libkrun",
                        "builtin:busybox", "true");
                assertNotEquals(0, named.exit(), named.output());
                assertTrue(named.output().contains("backend libkrun: libkrun.so.1 not found")
                        || named.output().contains("backend libkrun: KVM not usable"), named.output());
            }
            HostCommand.Result unknown = server.msb("run", "--name", "nope", "--backend", "nope", "builtin:busybox",
                    "true");
            assertNotEquals(0, unknown.exit(), unknown.output());
            assertTrue(unknown.output().contains("backend: no backend named nope is running (known: "),
                    unknown.output());
            server.msbOk("run", "--name", "by-default", "--rm", "builtin:busybox", "true"); // nosuch: the ranked one
            server.console("config:property-set -p io.msb.runtime defaultBackend qemu");
            awaitDefault(server, "qemu");

            server.console("bundle:stop " + QEMU);
            server.killServer();
            for (long pid : pids.values()) {
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU " + pid
                        + " died with the server");
            }
            server.startAgain(); // Karaf keeps the qemu bundle stopped, as it was
            assertEquals(pids, pids(server));
            assertListed(server, "running (backend unavailable)");
            server.console("bundle:start " + QEMU);
            awaitListed(server, "running");
            assertExecs(server, "restarted");
            assertEquals(pids, pids(server));
        }
    }

    /** Each box's QEMU pid, as the console's {@code msb:inspect} shows its current run. */
    private static Map<String, Long> pids(MsbServer server) throws Exception {
        Map<String, Long> pids = new TreeMap<>();
        for (String box : BOXES) {
            String inspected = server.console("msb:inspect " + box);
            long pid = inspected.lines().filter(l -> l.startsWith("run.pid: ")).map(l -> Long.parseLong(l.substring(9)
                    .trim())).findFirst().orElseThrow(() -> new AssertionError(box + " has no run.pid:\n" + inspected));
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU " + pid + " of " + box
                    + " is not alive");
            pids.put(box, pid);
        }
        return pids;
    }

    /** {@code msb ls} shows {@code status} for both boxes, and qemu as their backend. */
    private static void assertListed(MsbServer server, String status) throws Exception {
        String ls = server.msbOk("ls").output();
        assertEquals(List.of(status, status), statuses(ls), ls);
    }

    /** Waits until {@code msb ls} shows {@code status} for both boxes (a backend is bound as its bundle activates). */
    private static void awaitListed(MsbServer server, String status) throws Exception {
        Platform.await("both sandboxes listed " + status, () -> List.of(status, status).equals(statuses(
                call(() -> server.msbOk("ls").output()))));
        assertListed(server, status);
    }

    /** The STATUS column of each box, checking its BACKEND column says qemu. */
    private static List<String> statuses(String ls) {
        return BOXES.stream().map(box -> {
            String line = ls.lines().filter(l -> l.startsWith(box + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError(box + " not listed:\n" + ls));
            String[] columns = line.split(" {3,}");
            assertEquals("qemu", columns[3], ls);
            return columns[1];
        }).toList();
    }

    /** Waits until the runtime, reconfigured through Config Admin, reports {@code backend} as its default. */
    private static void awaitDefault(MsbServer server, String backend) throws Exception {
        Platform.await("default backend " + backend, () -> call(() -> server.msb("info").output()).lines()
                .anyMatch(l -> l.matches("Default backend:\\s+" + backend)));
    }

    private static <T> T call(java.util.concurrent.Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void assertExecs(MsbServer server, String word) throws Exception {
        for (String box : BOXES) {
            assertEquals(word, server.msbOk("exec", box, "--", "echo", word).output().trim());
        }
    }
}
