package io.msb.ssh.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/** A channel that cannot be served: the reason on the client's stderr, exit status 1. */
final class Refusal implements Command {
    private final String message;
    private OutputStream err;
    private ExitCallback exitCallback;

    Refusal(String message) {
        this.message = message;
    }

    @Override
    public void setInputStream(InputStream in) {
    }

    @Override
    public void setOutputStream(OutputStream out) {
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exitCallback = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        try {
            err.write((message + "\r\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException e) {
            // the client is gone; nobody to tell
        }
        exitCallback.onExit(1, message);
    }

    @Override
    public void destroy(ChannelSession channel) {
    }
}
