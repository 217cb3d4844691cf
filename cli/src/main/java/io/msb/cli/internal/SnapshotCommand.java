package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code msb snapshot create|ls|inspect|verify|rm}: disk snapshots of stopped sandboxes on msb's snapshot routes
 * (decision 1236), resumable ones of running sandboxes with {@code create --memory} (decision 1253);
 * {@code msb run|create --from-snapshot SNAPSHOT} starts a sandbox from one, {@code msb branch} several.
 */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = "Manage snapshots: of a stopped sandbox's disk, or of a running sandbox's memory too (--memory).")
final class SnapshotCommand implements Callable<Integer> {
    private final Cli cli;

    @Spec
    CommandSpec spec;

    SnapshotCommand(Cli cli) {
        this.cli = cli;
    }

    /** {@code msb snapshot} with its verbs. */
    static CommandLine commandLine(Cli cli) {
        return new CommandLine(new SnapshotCommand(cli)).addSubcommand(new CreateSnapshot(cli))
            .addSubcommand(new ListSnapshots(cli)).addSubcommand(new InspectSnapshot(cli))
            .addSubcommand(new VerifySnapshot(cli)).addSubcommand(new RemoveSnapshots(cli))
            .addSubcommand(new ExportSnapshot(cli)).addSubcommand(new ImportSnapshot(cli));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(cli.out);
        return 0;
    }

    static String path(String name) {
        return "/v1/snapshots/" + ApiClient.segment(name);
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = {"Snapshot the disk of a stopped sandbox (with its spec and image digest).",
            "With --memory, a running or paused sandbox whole: sandboxes made from it (msb run --from-snapshot, "
                + "msb branch) run on from where it stood."})
    static final class CreateSnapshot implements Callable<Integer> {
        private final Cli cli;

        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Label the snapshot.")
        List<String> labels = new ArrayList<>();

        @Option(names = {"-f", "--force"}, description = "Replace a snapshot of the same name.")
        boolean force;

        @Option(names = "--memory", description = "Also capture the VM's memory and device state (a resumable "
            + "snapshot); the sandbox may then be running, and is paused while it is captured.")
        boolean memory;

        @Parameters(index = "0", paramLabel = "SANDBOX", description = "The stopped sandbox (with --memory: "
            + "running or paused).")
        String sandbox;

        @Parameters(index = "1", paramLabel = "NAME", description = "Snapshot name: A-Z a-z 0-9 . _ -, at most 63.")
        String name;

        CreateSnapshot(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            ObjectNode body = cli.json().createObjectNode().put("name", name).put("source_sandbox", sandbox)
                .put("force", force);
            body.putPOJO("labels", Cli.labels(labels));
            if (memory) { // only then: a server older than resumable snapshots refuses the unknown field
                body.put("resumable", true);
            }
            cli.out.println(Text.cell(cli.api().post("/v1/snapshots", body).path("name").asText(name)));
            return 0;
        }
    }

    /** A snapshot object of the API, for tables and templates (decision 1036). */
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Name", "NAME", s -> s.path("name").asText())
        .column("Source", "SOURCE", s -> s.path("source_sandbox").asText("-"))
        .column("Image", "IMAGE", s -> s.path("image_ref").asText())
        .column("Size", "SIZE", s -> Sizes.bytes(s.path("size_bytes").asLong()))
        .column("Resumable", "RESUMABLE", s -> s.path("resumable").asBoolean() ? "yes" : "no")
        .column("Created", "CREATED", s -> ListCommand.time(s.path("created_at").asText("")))
        .extra("Digest", "DIGEST", s -> s.path("digest").asText())
        .extra("ImageDigest", "IMAGE DIGEST", s -> s.path("image_manifest_digest").asText("-"))
        .extra("Path", "PATH", s -> s.path("path").asText())
        .key("Name");

    private static final String FIELD_LIST =
        "--format fields: .Name .Source .Image .Size .Resumable .Created .Digest .ImageDigest .Path";

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List the snapshots.",
        footer = {"", FIELD_LIST})
    static final class ListSnapshots implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Option(names = {"-q", "--quiet"}, description = "Print only the names.")
        boolean quiet;

        ListSnapshots(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, quiet);
            List<JsonNode> rows = new ArrayList<>();
            cli.api().get("/v1/snapshots").forEach(rows::add);
            cli.out.print(output.list(cli, FIELDS, rows, s -> s, quiet));
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a snapshot's details as JSON.",
        footer = {"", FIELD_LIST})
    static final class InspectSnapshot implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Parameters(paramLabel = "NAME", description = "Snapshot name.")
        String name;

        InspectSnapshot(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, false);
            cli.out.print(output.one(cli, FIELDS, cli.api().get(path(name)), s -> s));
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Read a snapshot's disk and check it against the sha256 its manifest recorded.")
    static final class VerifySnapshot implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Snapshot names.")
        List<String> names = new ArrayList<>();

        VerifySnapshot(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            return EachName.apply(cli, names, name -> {
                cli.api().post(path(name) + "/verify", cli.json().createObjectNode());
                return name + ": ok";
            });
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true, description = "Remove snapshots.")
    static final class RemoveSnapshots implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Snapshot names.")
        List<String> names = new ArrayList<>();

        RemoveSnapshots(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            return EachName.apply(cli, names, name -> {
                cli.api().delete(path(name));
                return name;
            });
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a snapshot (snapshot.json and its disk) to one tar file.")
    static final class ExportSnapshot implements Callable<Integer> {
        private final Cli cli;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The tar to write.")
        Path output;

        @Parameters(paramLabel = "NAME", description = "Snapshot name.")
        String name;

        ExportSnapshot(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            cli.api().downloadTo(path(name) + "/archive", output);
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
        description = "Add a snapshot from a tar msb snapshot export wrote; its disk is checked against its sha256.")
    static final class ImportSnapshot implements Callable<Integer> {
        private final Cli cli;

        @Option(names = {"-f", "--force"}, description = "Replace a snapshot of the same name.")
        boolean force;

        @Parameters(index = "0", paramLabel = "FILE", description = "The tar to read.")
        Path input;

        @Parameters(index = "1", arity = "0..1", paramLabel = "NAME",
            description = "Snapshot name (default: FILE without .tar).")
        String name;

        ImportSnapshot(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            if (!Files.isRegularFile(input)) {
                throw new CliException("FILE " + input + ": not a readable file");
            }
            String as = name != null ? name : input.getFileName().toString().replaceFirst("\\.tar$", "");
            JsonNode imported;
            try (InputStream tar = Files.newInputStream(input)) {
                imported = cli.api().upload("/v1/snapshots/import?name=" + ApiClient.segment(as) + "&force=" + force,
                    tar, Files.size(input));
            }
            cli.out.println(Text.cell(imported.path("name").asText(as)));
            return 0;
        }
    }
}
