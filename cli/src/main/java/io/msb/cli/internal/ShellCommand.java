package io.msb.cli.internal;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code msb shell NAME}: {@code msb exec -it NAME} with the sandbox's shell. */
@Command(name = "shell", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Open an interactive shell in the running sandbox NAME: its shell (/bin/sh when it names none) "
        + "in a terminal connected to this one, as msb exec -it NAME does. Exits with the shell's exit status."},
    footer = {"", ProcessOptions.EXIT_STATUS})
final class ShellCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    ProcessOptions process = new ProcessOptions();

    @Parameters(index = "0", paramLabel = "NAME", description = "Sandbox name.")
    String name;

    ShellCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws IOException {
        HostTerminal.requireTty("msb shell needs a terminal on stdin (for piped input: msb exec -i NAME COMMAND)");
        return AttachedExec.run(cli, name, List.of(), process, true);
    }
}
