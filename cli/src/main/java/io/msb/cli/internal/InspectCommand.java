package io.msb.cli.internal;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code msb inspect}: one sandbox as the server describes it, in JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a sandbox's details as JSON.",
    footer = {"", "--format fields: those of msb ls (.Name .Status .Image .Backend .Created .ID .Cpus .MemoryMib)"})
final class InspectCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Parameters(paramLabel = "NAME", description = "Sandbox name.")
    String name;

    InspectCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        output.validate(ListCommand.FIELDS, false);
        cli.out.print(output.one(cli, ListCommand.FIELDS, cli.api().get(Cli.byName(name)), s -> s));
        return 0;
    }
}
