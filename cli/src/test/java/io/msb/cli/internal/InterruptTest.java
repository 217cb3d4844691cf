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

/** Ctrl-C (a real SIGINT to a real CLI process) while {@code msb run --rm} waits for its create, and during a pull. */
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
            Process cli = startCli(server, "run", "--rm", "--name", "box", "builtin:busybox", "sleep", "600");
            try {
                interruptOnceSent(cli, server, CREATE);
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

    @Test
    void ctrlCDuringAPullExits130OnAFreshLineAndSaysTheServerCompletesIt() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")) && new File("/bin/kill").canExecute(),
            "sends SIGINT with /bin/kill and reads /proc: Linux only");
        CountDownLatch never = new CountDownLatch(1);
        try (ScriptedServer server = new ScriptedServer()) {
            server.hold("POST /v1/images/pull", never, 200, PullCommandTest.STREAM);
            Process cli = startCli(server, "pull", "--progress", "tty", "127.0.0.1:5000/app:1");
            try {
                interruptOnceSent(cli, server, "POST /v1/images/pull");
                assertEquals(130, cli.waitFor());
            } finally {
                never.countDown();
                cli.destroyForcibly();
            }
            assertEquals("msb: pull interrupted; the server completes it (msb image ls shows it)\n",
                Files.readString(dir.resolve("stderr")));
        }
    }

    /** The CLI as its own JVM (a real process to signal), stdout and stderr into files in {@link #dir}. */
    private Process startCli(ScriptedServer server, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
            .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(dir.resolve("stdout").toFile())
            .redirectError(dir.resolve("stderr").toFile());
        pb.environment().put("MSB_API_URL", server.url());
        pb.environment().put("MSB_API_KEY", "msb_test");
        return pb.start();
    }

    /** Sends SIGINT to {@code cli} once the server has the request {@code line}. */
    private static void interruptOnceSent(Process cli, ScriptedServer server, String line) throws Exception {
        while (cli.isAlive() && !server.lines().contains(line)) {
            Thread.sleep(20);
        }
        assumeTrue(!sigintIgnored(cli.pid()), "SIGINT is ignored in this process tree (a background job)");
        new ProcessBuilder("/bin/kill", "-INT", Long.toString(cli.pid())).inheritIO().start().waitFor();
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
