package io.msb.ssh.internal;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.channel.ChannelSession;

/** A channel that cannot be served: the reason on the client's stderr, exit status 1. */
final class Refusal extends ChannelCommand {
    private final String message;

    Refusal(String message) {
        this.message = message;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        end(1, message);
    }

    @Override
    public void destroy(ChannelSession channel) {
    }
}
