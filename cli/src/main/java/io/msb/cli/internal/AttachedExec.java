package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.AgentClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code -i} and {@code -it}: the command runs over the sandbox's agent WebSocket, speaking the agent protocol as
 * microsandbox's SDK does, with stdin streamed as it is read and, with a terminal, raw mode and window sizes
 * forwarded (decision 1030). The guest's PTY turns Ctrl-C, Ctrl-Z and Ctrl-\ into signals there.
 */
final class AttachedExec {
    /** What one read of stdin sends at most: a keystroke is a few bytes, a pipe fills this. */
    static final int STDIN_CHUNK = 32 << 10;
    /** The program run when -t is given without COMMAND and the sandbox names no shell. */
    static final String DEFAULT_SHELL = "/bin/sh";
    /** A shell is a program path; the agent takes at most this many characters. */
    static final int MAX_SHELL = 4096;

    private AttachedExec() {
    }

    /** Runs {@code command} (empty: the sandbox's shell) in {@code sandbox} and returns its exit status. */
    static int run(Cli cli, String sandbox, List<String> command, ProcessOptions process, boolean tty)
            throws IOException {
        JsonNode info = SandboxAgent.find(cli, sandbox);
        List<String> cmd = command.isEmpty() ? List.of(shell(info)) : command;
        Map<String, String> env = process.env(cli.env);
        try (AgentClient agent = SandboxAgent.connect(cli, sandbox, info);
             HostTerminal terminal = tty ? HostTerminal.enterRaw() : null) {
            ExecOptions.Builder options = ExecOptions.of(cmd).cwd(process.workdir).user(process.user);
            env.forEach(options::env);
            if (terminal != null) {
                int[] size = terminal.size();
                options.tty(size[0], size[1]);
                // the guest's programs draw for the terminal they are shown on, as with ssh and docker
                if (!env.containsKey("TERM") && cli.env.get("TERM") != null) {
                    options.env("TERM", cli.env.get("TERM"));
                }
            }
            ExecSession session = agent.exec(options.build(), event -> print(cli, event));
            if (terminal != null) {
                terminal.onResize(() -> resize(terminal, session));
            }
            sendStdin(cli.stdin, session);
            return exitStatus(session);
        }
    }

    /** The sandbox's shell ({@code spec.runtime.shell}), else /bin/sh. */
    static String shell(JsonNode sandbox) {
        JsonNode shell = sandbox.path("spec").path("runtime").path("shell");
        if (!shell.isTextual() || shell.asText().isBlank()) {
            return DEFAULT_SHELL;
        }
        String path = shell.asText();
        if (path.length() > MAX_SHELL || !path.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw new CliException("the sandbox's shell (spec.runtime.shell) must be a program path of at most "
                + MAX_SHELL + " printable characters; give COMMAND instead");
        }
        return path;
    }

    /** Guest output to ours as it arrives (a terminal's is all stdout). */
    private static void print(Cli cli, ExecEvent event) {
        try {
            if (event instanceof ExecEvent.Stdout out) {
                write(cli.stdout, out.data());
            } else if (event instanceof ExecEvent.Stderr err) {
                write(cli.stderr, err.data());
            }
        } catch (IOException e) {
            // our stdout is gone (a closed pipe): the guest's exit still decides the status
        }
    }

    private static void write(OutputStream out, byte[] data) throws IOException {
        out.write(data);
        out.flush();
    }

    private static void resize(HostTerminal terminal, ExecSession session) {
        try {
            int[] size = terminal.size();
            session.resize(size[0], size[1]);
        } catch (IOException | RuntimeException e) {
            // stty failed or the session ended: the next change tries again
        }
    }

    /** Copies stdin to the command on a daemon thread, closing the command's stdin at our end of input. */
    private static void sendStdin(InputStream in, ExecSession session) {
        Thread pump = new Thread(() -> {
            byte[] buffer = new byte[STDIN_CHUNK];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (n > 0) {
                        session.writeStdin(Arrays.copyOf(buffer, n));
                    }
                }
                session.closeStdin();
            } catch (IOException | RuntimeException e) {
                // stdin failed, or the command or connection ended: the exit status tells which
            }
        }, "msb-stdin");
        pump.setDaemon(true);
        pump.start();
    }

    private static int exitStatus(ExecSession session) {
        try {
            ExecExit exit = session.waitFor(null);
            return ExecStream.exitStatus(exit.code(), exit.signal());
        } catch (ExecFailedException e) {
            throw new CliException(Text.printable(String.valueOf(e.getMessage())),
                ExecStream.failureStatus(e.kind().name()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while the command ran");
        } catch (RuntimeException e) {
            // the WebSocket closed or failed under the session
            throw new CliException("lost the connection to the sandbox's agent (the sandbox or the msb server "
                + "stopped): " + Text.printable(String.valueOf(e.getMessage())));
        }
    }
}
