package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Interactive terminals of the real CLI against the real server and real sandboxes (decision 1030): {@code bin/msb}
 * of the distribution runs under a real pseudo-terminal driven by {@code src/test/python/tty_session.py}, which types
 * as a person would and prints {@code ok}/{@code FAIL} per step. Also {@code -i} alone with a pipe, and the
 * keystroke round-trip of {@code bench/cli/tty-latency.py}, printed (never asserted).
 */
class TerminalIT extends BuiltServerIT {
    private static final Path HARNESS = Path.of("src/test/python/tty_session.py").toAbsolutePath();
    private static final Path LATENCY = Path.of("../bench/cli/tty-latency.py").toAbsolutePath();
    private static final String BOX = "tty-box";

    /** After {@link BuiltServerIT#startServer()}: the sandbox every test here uses. */
    @BeforeAll
    static void createBox() throws Exception {
        assumeTrue(Platform.onPath("python3"), "the terminal tests drive a PTY with python3");
        HostCommand.Result created = server.msb("create", "--name", BOX, "builtin:busybox");
        assertEquals(0, created.exit(), created.output() + server.logTail());
    }

    /** Typing, a resize, Ctrl-C, `exit 3` as the exit status, and the host terminal's settings restored. */
    @Test
    void execItRunsAShellInATerminal() throws Exception {
        underPty("shell", "exec", "-it", BOX, "sh");
    }

    /** The default command is the sandbox's shell; the sandbox of run --rm is gone afterwards. */
    @Test
    void runItRmRunsTheShellAndRemovesTheSandbox() throws Exception {
        underPty("exit5", "run", "-it", "--rm", "--name", "tty-run", "builtin:busybox");
        HostCommand.Result gone = server.msb("inspect", "tty-run");
        assertEquals(125, gone.exit(), gone.output());
        assertTrue(gone.output().contains("tty-run"), gone.output());
    }

    /** msb shell NAME; a SIGTERM to the CLI still restores the terminal. */
    @Test
    void shellEndedBySigtermRestoresTheTerminal() throws Exception {
        underPty("sigterm", "shell", BOX);
    }

    /** The sandbox killed under a running shell: one line saying so, exit 125, the terminal restored. */
    @Test
    void aSandboxKilledUnderTheShellEndsTheCliCleanly() throws Exception {
        HostCommand.Result created = server.msb("create", "--name", "tty-killed", "builtin:busybox");
        assertEquals(0, created.exit(), created.output());
        underPty("killed", Map.of("TTY_KILL_SANDBOX", "tty-killed"), "exec", "-it", "tty-killed", "sh");
    }

    /** -i alone: stdin is streamed to the command and closed at its end; stdout and stderr stay apart. */
    @Test
    void interactiveWithoutTerminalStreamsStdin() throws Exception {
        HostCommand.Result r = HostCommand.run(Path.of("."), List.of("sh", "-c",
            "printf 'one\\ntwo\\nthree\\n' | \"$0\" exec -i " + BOX + " sh -c 'wc -l; echo to-stderr >&2; exit 4'",
            server.bin("msb").toString()), env());
        assertEquals(4, r.exit(), r.output());
        assertTrue(r.output().contains("3") && r.output().contains("to-stderr"), r.output());
    }

    /** Keystroke echo round trip over 100 keys, printed for bench/cli/README.md; only completion is checked. */
    @Test
    void keystrokeLatencyIsMeasured() throws Exception {
        HostCommand.Result r = HostCommand.run(Path.of("."), List.of("python3", LATENCY.toString(), "100",
            server.bin("msb").toString(), "exec", "-it", BOX, "sh"), env());
        System.out.println(r.output());
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("p50"), r.output());
    }

    private static void underPty(String scenario, String... args) throws Exception {
        underPty(scenario, Map.of(), args);
    }

    private static void underPty(String scenario, Map<String, String> extraEnv, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3", HARNESS.toString(), scenario,
            server.bin("msb").toString()));
        command.addAll(List.of(args));
        Map<String, String> env = new HashMap<>(env());
        env.putAll(extraEnv);
        HostCommand.Result r = HostCommand.run(Path.of("."), command, env);
        System.out.println(r.output());
        assertEquals(0, r.exit(), scenario + " failed:\n" + r.output() + "\n--- the server's log:\n" + server.logTail());
        assertTrue(r.output().contains("PASSED " + scenario), r.output());
    }

    /** What bin/msb needs for this server, and a terminal type for the guest's shell. */
    private static Map<String, String> env() {
        Map<String, String> env = new HashMap<>(server.cliEnv());
        env.put("TERM", "xterm");
        return env;
    }
}
