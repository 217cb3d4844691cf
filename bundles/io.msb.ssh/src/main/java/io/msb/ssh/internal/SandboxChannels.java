package io.msb.ssh.internal;

import io.msb.api.SandboxService;
import java.io.IOException;
import java.util.List;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.command.CommandFactory;
import org.apache.sshd.server.shell.ShellFactory;
import org.apache.sshd.server.subsystem.SubsystemFactory;

/**
 * The session channels of a connection, in the sandbox its user name selects: shell, exec and the sftp subsystem.
 * A sandbox that does not exist or does not run gets a {@link Refusal} instead, whatever the channel asked for.
 */
final class SandboxChannels implements ShellFactory, CommandFactory, SubsystemFactory {
    private final SandboxService sandboxes;
    private final SubsystemFactory sftp;

    SandboxChannels(SandboxService sandboxes, SubsystemFactory sftp) {
        this.sandboxes = sandboxes;
        this.sftp = sftp;
    }

    @Override
    public Command createShell(ChannelSession channel) {
        return run(channel, SandboxCommand.LOGIN_SHELL);
    }

    @Override
    public Command createCommand(ChannelSession channel, String command) {
        return run(channel, SandboxCommand.shellCommand(command));
    }

    private Command run(ChannelSession channel, List<String> command) {
        try {
            return new SandboxCommand(RunningSandbox.of(sandboxes, channel.getSession().getUsername()), command);
        } catch (RunningSandbox.Refused e) {
            return new Refusal(e.getMessage());
        }
    }

    @Override
    public String getName() {
        return sftp.getName();
    }

    @Override
    public Command createSubsystem(ChannelSession channel) throws IOException {
        try {
            RunningSandbox.of(sandboxes, channel.getSession().getUsername());
        } catch (RunningSandbox.Refused e) {
            return new Refusal(e.getMessage());
        }
        return sftp.createSubsystem(channel);
    }
}
