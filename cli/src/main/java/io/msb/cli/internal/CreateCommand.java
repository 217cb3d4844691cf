package io.msb.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;

/** {@code msb create}: run's sandbox options, without a command; the sandbox is left running. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Create a sandbox from IMAGE, boot it and print its name; run commands in it with msb exec."})
final class CreateCommand extends SandboxCommand {
    CreateCommand(Cli cli) {
        super(cli);
    }

    @Override
    public Integer call() {
        ObjectNode spec = spec();
        create(spec);
        cli.out.println(spec.get("name").asText());
        return 0;
    }
}
