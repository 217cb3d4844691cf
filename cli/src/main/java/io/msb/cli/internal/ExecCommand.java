package io.msb.cli.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code msb exec}: run a command in a running sandbox and exit with its status. */
@Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run COMMAND in the running sandbox NAME with its output streamed, and exit with COMMAND's "
        + "exit status (128+N when killed by signal N).",
        "Options go before NAME; everything after NAME (and an optional --) is the command.",
        "With -it: an interactive terminal; COMMAND defaults to the sandbox's shell (/bin/sh when it names none)."},
    footer = {"", ProcessOptions.EXIT_STATUS})
final class ExecCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    ProcessOptions process = new ProcessOptions();

    @Mixin
    AttachOptions attach = new AttachOptions();

    @Parameters(index = "0", paramLabel = "NAME", description = "Sandbox name.")
    String name;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Program and arguments.")
    List<String> command = new ArrayList<>();

    ExecCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        List<String> cmd = ProcessOptions.withoutSeparator(command);
        if (cmd.isEmpty() && !attach.tty) {
            throw new CliException("COMMAND: required after NAME (with -it it defaults to the sandbox's shell)");
        }
        attach.check();
        return process.exec(cli, name, cmd, attach);
    }
}
