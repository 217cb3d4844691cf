package io.msb.cli.internal;

import java.io.IOException;
import java.util.EnumSet;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.jline.terminal.Size;
import org.jline.terminal.impl.exec.ExecTerminalProvider;
import org.jline.terminal.spi.Pty;
import org.jline.terminal.spi.SystemStream;
import org.jline.utils.Signals;

/**
 * The terminal on this process's stdin while {@code -t} runs a guest command (decision 1031): raw mode, its size,
 * its window changes, and its settings restored on every way out (close, or a JVM shutdown hook for a signal).
 * JLine's exec provider reads and sets them with {@code stty} on stdin, so no native library is loaded.
 */
final class HostTerminal implements AutoCloseable {
    /** A size the terminal does not report (0×0) is sent as the guest PTY's default. */
    static final int DEFAULT_ROWS = 24;
    static final int DEFAULT_COLS = 80;
    private static final ExecTerminalProvider PROVIDER = new ExecTerminalProvider();

    private final Pty pty;
    private final Attributes saved;
    private final Thread restoreOnExit;
    private Object previousWinch;

    private HostTerminal(Pty pty, Attributes saved) {
        this.pty = pty;
        this.saved = saved;
        this.restoreOnExit = new Thread(this::restore, "msb-terminal-restore");
    }

    /**
     * Refuses, as docker does, when stdin is not a terminal; checked before anything is created or run.
     *
     * @param needs what needs it and what to do instead, e.g. {@code "--tty needs a terminal on stdin (…)"}
     */
    static void requireTty(String needs) {
        if (!PROVIDER.isSystemStream(SystemStream.Input)) {
            throw new CliException("the input device is not a TTY: " + needs);
        }
    }

    /**
     * Puts the terminal of stdin (checked by {@link #requireTty} first) into raw mode: every key, Ctrl-C and Ctrl-D
     * included, reaches the guest as bytes.
     */
    static HostTerminal enterRaw() throws IOException {
        // stty acts on stdin; JLine's provider asks that stdout or stderr be a terminal too
        SystemStream screen = PROVIDER.isSystemStream(SystemStream.Output) ? SystemStream.Output : SystemStream.Error;
        Pty pty;
        try {
            pty = PROVIDER.current(screen);
        } catch (IOException e) {
            throw new CliException("--tty: neither stdout nor stderr is a terminal");
        }
        HostTerminal terminal = new HostTerminal(pty, pty.getAttr());
        Runtime.getRuntime().addShutdownHook(terminal.restoreOnExit);
        pty.setAttr(raw(terminal.saved));
        return terminal;
    }

    /** cfmakeraw(3): no line editing, echo, signals, flow control or output processing. */
    static Attributes raw(Attributes original) {
        Attributes raw = new Attributes(original);
        raw.setInputFlags(EnumSet.of(InputFlag.IGNBRK, InputFlag.BRKINT, InputFlag.PARMRK, InputFlag.ISTRIP,
            InputFlag.INLCR, InputFlag.IGNCR, InputFlag.ICRNL, InputFlag.IXON), false);
        raw.setOutputFlag(OutputFlag.OPOST, false);
        raw.setLocalFlags(EnumSet.of(LocalFlag.ECHO, LocalFlag.ECHONL, LocalFlag.ICANON, LocalFlag.ISIG,
            LocalFlag.IEXTEN), false);
        raw.setControlChar(ControlChar.VMIN, 1);
        raw.setControlChar(ControlChar.VTIME, 0);
        return raw;
    }

    /** Rows and columns now. */
    int[] size() throws IOException {
        Size size = pty.getSize();
        return new int[] {size.getRows() > 0 ? size.getRows() : DEFAULT_ROWS,
            size.getColumns() > 0 ? size.getColumns() : DEFAULT_COLS};
    }

    /** Runs {@code action} on every window size change (SIGWINCH), until close. */
    void onResize(Runnable action) {
        previousWinch = Signals.register("WINCH", action);
    }

    private void restore() {
        try {
            pty.setAttr(saved);
        } catch (IOException e) {
            // stty failed: nothing else can put the terminal back; `reset` can
        }
    }

    @Override
    public void close() {
        if (previousWinch != null) {
            Signals.unregister("WINCH", previousWinch);
        }
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook restores it (again): harmless
        }
    }
}
