package io.msb.ssh.internal;

import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.api.spi.DaemonThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.Signal;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * A shell or a command of an SSH session channel, run in the sandbox the user name selects through
 * {@link SandboxHandle#execStream}. With a pty-req the process gets a guest terminal of the client's size (window
 * changes resize it); without, stdout and stderr stay apart. Output is written on the exec's own delivery thread, so a
 * client that reads slowly pauses only this process (decision 1010); the exit status is the process's.
 */
final class SandboxCommand extends ChannelCommand {
    /** What OpenSSH runs for a shell channel: the user's login shell; guests have bash or at least sh. */
    static final List<String> LOGIN_SHELL = List.of("/bin/sh", "-c",
            "if command -v bash >/dev/null 2>&1; then exec bash -l; fi; exec sh -l");
    private static final int SIGHUP = 1;
    private static final int SIGKILL = 9;
    /** How long a process whose client went away has after SIGHUP before SIGKILL. */
    private static final long HANGUP_GRACE_SECONDS = 5;
    private static final int STDIN_CHUNK = 32 * 1024;
    /** Terminal sizes as the agent protocol carries them (u16). */
    private static final int MAX_TERMINAL_CELLS = 0xFFFF;

    private final SandboxHandle sandbox;
    private final List<String> command;
    private volatile ExecSession session;

    /** @param command the guest command, e.g. {@code sh -c <the exec request>} or {@link #LOGIN_SHELL} */
    SandboxCommand(SandboxHandle sandbox, List<String> command) {
        this.sandbox = sandbox;
        this.command = command;
    }

    /** OpenSSH's rule for an exec request: the user's shell runs the string. */
    static List<String> shellCommand(String request) {
        return List.of("/bin/sh", "-c", request);
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
        String name = sandbox.name();
        Map<String, String> vars = env.getEnv();
        boolean tty = vars.containsKey(Environment.ENV_COLUMNS); // set by pty-req only
        ExecOptions.Builder options = ExecOptions.of(command);
        if (tty) {
            options.tty(cells(vars.get(Environment.ENV_LINES), 24), cells(vars.get(Environment.ENV_COLUMNS), 80));
            String term = vars.get(Environment.ENV_TERM);
            options.env("TERM", term != null && term.matches("[A-Za-z0-9._+-]{1,64}") ? term : "xterm");
        }
        try {
            session = sandbox.execStream(options.build(), this::onEvent);
        } catch (RuntimeException e) {
            end(1, "msb: cannot run in sandbox '" + name + "': " + e.getMessage());
            return;
        }
        if (tty) {
            env.addSignalListener((ch, signal) -> resize(vars), Signal.WINCH);
        }
        DaemonThreads.start("msb-ssh-stdin-" + name, this::copyStdin);
    }

    /** window-change: MINA has put the new size into the environment. */
    private void resize(Map<String, String> vars) {
        try {
            session.resize(cells(vars.get(Environment.ENV_LINES), 24), cells(vars.get(Environment.ENV_COLUMNS), 80));
        } catch (RuntimeException e) {
            // the process has ended; its exit closes the channel
        }
    }

    /** A terminal dimension from the client, within 1..65535; what cannot be read is {@code otherwise}. */
    static int cells(String value, int otherwise) {
        try {
            int n = Integer.parseInt(value);
            return n < 1 ? otherwise : Math.min(n, MAX_TERMINAL_CELLS);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private void onEvent(ExecEvent event) {
        if (event instanceof ExecEvent.Stdout o) {
            write(out, o.data());
        } else if (event instanceof ExecEvent.Stderr e) {
            write(err, e.data());
        } else if (event instanceof ExecEvent.Exited x) {
            end(x.exit().code(), null);
        } else if (event instanceof ExecEvent.Failed f) {
            end(1, "msb: " + f.kind().name().toLowerCase() + ": " + f.message());
        }
    }

    private void write(OutputStream stream, byte[] data) {
        try {
            stream.write(data);
            stream.flush(); // waits for the client's window: backpressure towards the guest process
        } catch (IOException e) {
            hangUp(); // the client went away
        }
    }

    private void copyStdin() {
        byte[] buf = new byte[STDIN_CHUNK];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n > 0) {
                    session.writeStdin(Arrays.copyOf(buf, n));
                }
            }
            session.closeStdin();
        } catch (IOException | RuntimeException e) {
            // the channel closed or the process ended; destroy() or the exit event finishes the channel
        }
    }

    /** The client closed the channel: SIGHUP as a terminal hang-up does, SIGKILL if the process outlives it. */
    private void hangUp() {
        ExecSession s = session;
        if (s == null || ended()) {
            return;
        }
        try {
            s.signal(SIGHUP);
        } catch (RuntimeException e) {
            return; // already gone
        }
        CompletableFuture.delayedExecutor(HANGUP_GRACE_SECONDS, TimeUnit.SECONDS).execute(() -> {
            if (!ended()) {
                try {
                    s.signal(SIGKILL);
                } catch (RuntimeException e) {
                    // exited meanwhile
                }
            }
        });
    }

    @Override
    public void destroy(ChannelSession channel) {
        hangUp();
    }
}
