package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code msb volume create|ls|inspect|rm|prune}: the server's named volumes (decision 1214). The API addresses a
 * volume by id; names are resolved by listing, as the SDK does.
 */
@Command(name = "volume", mixinStandardHelpOptions = true, description = "Manage named volumes.")
final class VolumeCommand implements Callable<Integer> {
    private final Cli cli;

    @Spec
    CommandSpec spec;

    VolumeCommand(Cli cli) {
        this.cli = cli;
    }

    /** {@code msb volume} with its verbs. */
    static CommandLine commandLine(Cli cli) {
        return new CommandLine(new VolumeCommand(cli)).addSubcommand(new CreateVolume(cli))
            .addSubcommand(new ListVolumes(cli)).addSubcommand(new InspectVolume(cli))
            .addSubcommand(new RemoveVolumes(cli)).addSubcommand(new PruneVolumes(cli));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(cli.out);
        return 0;
    }

    /** Every volume, as the server lists them (a bare array). */
    static JsonNode list(Cli cli) {
        JsonNode volumes = cli.api().get("/v1/volumes");
        if (!volumes.isArray()) {
            throw new CliException("the server's volume list is not an array");
        }
        return volumes;
    }

    /** The volume named so, found by listing. */
    static JsonNode find(Cli cli, String name) {
        for (JsonNode v : list(cli)) {
            if (name.equals(v.path("name").asText(null))) {
                return v;
            }
        }
        throw new CliException("no such volume: " + name);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a volume: a directory (optionally with a quota) or an ext4 disk image of a capacity.")
    static final class CreateVolume implements Callable<Integer> {
        enum Kind { dir, disk }

        private final Cli cli;

        @Option(names = "--kind", paramLabel = "KIND", description = "dir (the default) or disk.")
        Kind kind = Kind.dir;

        @Option(names = "--quota", paramLabel = "MIB", description = "Most a directory volume may hold, in MiB.")
        Long quotaMib;

        @Option(names = "--capacity", paramLabel = "MIB", description = "Size of a disk volume, in MiB (required).")
        Long capacityMib;

        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Label the volume.")
        List<String> labels = new ArrayList<>();

        @Parameters(paramLabel = "NAME", description = "Volume name: A-Z a-z 0-9 . _ -, at most 63.")
        String name;

        CreateVolume(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            ObjectNode body = cli.json().createObjectNode().put("name", name).put("type", kind.name());
            Map<String, String> labelMap = Cli.labels(labels);
            body.putPOJO("labels", labelMap);
            if (quotaMib != null) {
                body.put("quota_mib", quotaMib);
            }
            if (capacityMib != null) {
                body.put("capacity_mib", capacityMib);
            }
            cli.out.println(Text.cell(cli.api().post("/v1/volumes", body).path("name").asText(name)));
            return 0;
        }
    }

    /** A volume object of the API, for tables and templates (decision 1036). */
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Name", "NAME", v -> v.path("name").asText())
        .column("Kind", "KIND", v -> v.path("type").asText("dir"))
        .column("Used", "USED", v -> Sizes.bytes(v.path("used_bytes").asLong()))
        .column("Limit", "LIMIT", v -> v.path("capacity_bytes").isNumber() ? Sizes.bytes(v.path("capacity_bytes").asLong()) : "-")
        .column("UsedBy", "IN USE BY", VolumeCommand::usedBy)
        .column("Created", "CREATED", v -> ListCommand.time(v.path("created_at").asText("")))
        .extra("Id", "ID", v -> v.path("id").asText())
        .extra("Path", "PATH", v -> v.path("path").asText())
        .extra("UsedBytes", "USED (BYTES)", v -> v.path("used_bytes").asText())
        .key("Name");

    private static final String FIELD_LIST =
        "--format fields: .Name .Kind .Used .Limit .UsedBy .Created .Id .Path .UsedBytes";

    private static String usedBy(JsonNode v) {
        List<String> names = new ArrayList<>();
        v.path("used_by").forEach(n -> names.add(n.asText()));
        return names.isEmpty() ? "-" : String.join(",", names);
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List the volumes.",
        footer = {"", FIELD_LIST})
    static final class ListVolumes implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Option(names = {"-q", "--quiet"}, description = "Print only the names.")
        boolean quiet;

        ListVolumes(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, quiet);
            List<JsonNode> rows = new ArrayList<>();
            list(cli).forEach(rows::add);
            cli.out.print(output.list(cli, FIELDS, rows, v -> v, quiet));
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a volume's details as JSON.",
        footer = {"", FIELD_LIST})
    static final class InspectVolume implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Parameters(paramLabel = "NAME", description = "Volume name.")
        String name;

        InspectVolume(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, false);
            cli.out.print(output.one(cli, FIELDS, find(cli, name), v -> v));
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
        description = "Remove volumes and their files; a volume a sandbox mounts is refused.")
    static final class RemoveVolumes implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Volume names.")
        List<String> names = new ArrayList<>();

        RemoveVolumes(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            return EachName.apply(cli, names, name -> {
                cli.api().delete("/v1/volumes/" + ApiClient.segment(find(cli, name).path("id").asText()));
                return name;
            });
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Remove every volume no sandbox mounts.")
    static final class PruneVolumes implements Callable<Integer> {
        private final Cli cli;

        @Option(names = {"-f", "--force"}, description = "Do not ask for confirmation.")
        boolean force;

        PruneVolumes(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            if (!force) {
                cli.err.print("WARNING! This removes every volume no sandbox mounts, with its files.\n"
                    + "Are you sure you want to continue? [y/N] ");
                cli.err.flush();
                String answer = new BufferedReader(new InputStreamReader(cli.stdin, StandardCharsets.UTF_8)).readLine();
                if (answer == null || !List.of("y", "yes").contains(answer.strip().toLowerCase(Locale.ROOT))) {
                    return 0;
                }
            }
            JsonNode removed = cli.api().post("/v1/volumes/prune", cli.json().createObjectNode()).path("volumes_deleted");
            removed.forEach(n -> cli.out.println(Text.cell(n.asText())));
            return 0;
        }
    }
}
