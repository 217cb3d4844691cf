package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C (a real SIGINT to a real CLI process) while {@code msb run --rm} waits for its create. */
class InterruptTest {
    private static final String CREATE = "POST /v1/sandboxes?wait_for=running";
    private static final String DELETE = "DELETE /v1/sandboxes/by-name/box";

    @TempDir
    Path dir;

    @Test
    void ctrlCDuringTheCreateRemovesTheSandboxOnceCreatedAndExits130() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")) && new File("/bin/kill").canExecute(),
            "sends SIGINT with /bin/kill and reads /proc: Linux only");
        CountDownLatch release = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer()) {
            server.hold(CREATE, release, 200, ScriptedServer.sandbox("box", "running"))
                .on(DELETE, 200, "{\"message\":\"sandbox box removed\"}");
            Path err = dir.resolve("stderr");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--rm", "--name", "box", "builtin:busybox", "sleep", "600")
                .redirectOutput(dir.resolve("stdout").toFile()).redirectError(err.toFile());
            pb.environment().put("MSB_API_URL", server.url());
            pb.environment().put("MSB_API_KEY", "msb_test");
            Process cli = pb.start();
            try {
                while (cli.isAlive() && !server.lines().contains(CREATE)) {
                    Thread.sleep(20);
                }
                assumeTrue(!sigintIgnored(cli.pid()), "SIGINT is ignored in this process tree (a background job)");
                new ProcessBuilder("/bin/kill", "-INT", Long.toString(cli.pid())).inheritIO().start().waitFor();
                while (cli.isAlive() && !Files.readString(err).contains("removing sandbox box")) {
                    Thread.sleep(20);
                }
                assertTrue(server.lines().stream().noneMatch(DELETE::equals), "removed before the create answered");
                release.countDown();
                assertEquals(130, cli.waitFor(), Files.readString(err));
            } finally {
                release.countDown();
                cli.destroyForcibly();
            }
            assertEquals(List.of(CREATE, DELETE), server.lines().stream().filter(l -> !l.contains("/exec")).toList());
            assertEquals("msb: removing sandbox box once the server has created it\n", Files.readString(err));
        }
    }

    /** Whether the process ignores SIGINT (bit 2 of SigIgn), as a shell's background job does. */
    private static boolean sigintIgnored(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseLong(line.substring(7).trim(), 16) & 2) != 0;
            }
        }
        return false;
    }
}
