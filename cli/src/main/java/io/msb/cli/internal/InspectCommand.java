package io.msb.cli.internal;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code msb inspect}: one sandbox as the server describes it, in JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a sandbox's details as JSON.")
final class InspectCommand implements Callable<Integer> {
    private final Cli cli;

    @Parameters(paramLabel = "NAME", description = "Sandbox name.")
    String name;

    InspectCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        cli.out.println(cli.json.writerWithDefaultPrettyPrinter().writeValueAsString(cli.api().get(Cli.byName(name))));
        return 0;
    }
}
