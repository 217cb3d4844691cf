package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb branch SNAPSHOT (COUNT [--name-prefix P] | --name NAME…)}: sandboxes that run on from a resumable
 * snapshot, through {@code POST /v1/snapshots/{name}/branch} (decisions 1251-1253). Prints their names, or the
 * sandbox objects as {@code msb ls} does with {@code --json}/{@code --format}.
 */
@Command(name = "branch", mixinStandardHelpOptions = true,
    description = {"Start sandboxes from a resumable snapshot (msb snapshot create --memory): each runs on from where "
        + "the snapshot's sandbox stood, with its own name, hostname and address. All start, or none."},
    footer = {"", "Names: --name for each, or COUNT of them named PREFIX-1 … PREFIX-COUNT (PREFIX: the snapshot's name).",
        "--format fields: those of msb ls."})
final class BranchCommand implements Callable<Integer> {
    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = {"-q", "--quiet"}, description = "Print only the names (the default without --json/--format).")
    boolean quiet;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "A new sandbox's name (repeat it for more).")
    List<String> names = new ArrayList<>();

    @Option(names = "--name-prefix", paramLabel = "PREFIX", description = "Name COUNT sandboxes PREFIX-1 … "
        + "PREFIX-COUNT (default: the snapshot's name).")
    String namePrefix;

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = "A resumable snapshot.")
    String snapshot;

    @Parameters(index = "1", arity = "0..1", paramLabel = "COUNT", description = "How many sandboxes (1 to 64).")
    Integer count;

    BranchCommand(Cli cli) {
        this.cli = cli;
    }

    /** The request body: the names, or the count and the prefix (the server names them). */
    ObjectNode body() {
        if ((count == null) == names.isEmpty()) {
            throw new CliException("COUNT or --name: give one of them");
        }
        ObjectNode body = cli.json().createObjectNode();
        if (count == null) {
            if (namePrefix != null) {
                throw new CliException("--name-prefix goes with COUNT, not --name");
            }
            body.putPOJO("names", names);
        } else {
            body.put("count", count);
            if (namePrefix != null) {
                body.put("name_prefix", namePrefix);
            }
        }
        return body;
    }

    @Override
    public Integer call() {
        output.validate(ListCommand.FIELDS, quiet);
        ObjectNode body = body();
        List<JsonNode> made = new ArrayList<>();
        cli.api().post(SnapshotCommand.path(snapshot) + "/branch", body).path("sandboxes").forEach(made::add);
        cli.out.print(output.list(cli, ListCommand.FIELDS, made, s -> s, quiet || !output.given()));
        return 0;
    }
}
