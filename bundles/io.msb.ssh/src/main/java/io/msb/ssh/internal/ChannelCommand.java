package io.msb.ssh.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.command.Command;

/** What every command of a session channel holds: the channel's streams, and an end reported once. */
abstract class ChannelCommand implements Command {
    protected InputStream in;
    protected OutputStream out;
    protected OutputStream err;
    private ExitCallback exitCallback;
    private final AtomicBoolean ended = new AtomicBoolean();

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exitCallback = callback;
    }

    protected boolean ended() {
        return ended.get();
    }

    /** Ends the channel with exit status {@code code}, {@code message} (if not null) first on its stderr. */
    protected void end(int code, String message) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        if (message != null) {
            try {
                err.write((message + "\r\n").getBytes(StandardCharsets.UTF_8));
                err.flush();
            } catch (IOException e) {
                // the client is gone; nobody to tell
            }
        }
        exitCallback.onExit(code, message == null ? "" : message);
    }
}
