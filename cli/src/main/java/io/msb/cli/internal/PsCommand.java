package io.msb.cli.internal;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code msb ps}: the sandboxes (as {@code ls}, docker's habit); {@code msb ps NAME}: its processes (as {@code top}). */
@Command(name = "ps", mixinStandardHelpOptions = true,
    description = {"List sandboxes (as msb ls); with NAME, the processes running in that sandbox (as msb top)."},
    footer = {"", "--format fields: those of msb ls, or with NAME those of msb top."})
final class PsCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    ListOptions options = new ListOptions();

    @Parameters(paramLabel = "NAME", arity = "0..1", description = "A sandbox whose processes to list.")
    String name;

    PsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (name == null) {
            options.print(cli);
        } else if (!options.labels.isEmpty()) {
            throw new CliException("--label selects sandboxes: leave it out with NAME");
        } else {
            TopCommand.print(cli, options.output, name, options.quiet);
        }
        return 0;
    }
}
