package io.msb.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code msb ps}: the sandboxes (as {@code ls}, docker's habit); {@code msb ps NAME}: its processes (as {@code top}). */
@Command(name = "ps", mixinStandardHelpOptions = true,
    description = {"List sandboxes (as msb ls); with NAME, the processes running in that sandbox (as msb top)."},
    footer = {"", "--format fields: those of msb ls, or with NAME those of msb top."})
final class PsCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Only sandboxes with this label (repeatable: all must match).")
    List<String> labels = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print only the names (with NAME: the PIDs).")
    boolean quiet;

    @Parameters(paramLabel = "NAME", arity = "0..1", description = "A sandbox whose processes to list.")
    String name;

    PsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        if (name == null) {
            ListCommand.print(cli, output, labels, quiet);
        } else if (!labels.isEmpty()) {
            throw new CliException("--label selects sandboxes: leave it out with NAME");
        } else {
            TopCommand.print(cli, output, name, quiet);
        }
        return 0;
    }
}
