package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code msb image ls|inspect|rm|prune|load|save}: the server's image cache (decision 1040). */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Manage the server's images.")
final class ImageCommand implements Callable<Integer> {
    private final Cli cli;

    @Spec
    CommandSpec spec;

    ImageCommand(Cli cli) {
        this.cli = cli;
    }

    /** {@code msb image} with its verbs. */
    static CommandLine commandLine(Cli cli) {
        return new CommandLine(new ImageCommand(cli)).addSubcommand(new ListImages(cli))
            .addSubcommand(new InspectImage(cli)).addSubcommand(new RemoveImages(cli))
            .addSubcommand(new PruneImages(cli)).addSubcommand(new LoadImages(cli)).addSubcommand(new SaveImage(cli));
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(cli.out); // "msb image" alone: what it can do
        return 0;
    }

    /** The path of one image: the reference is the rest of the path, each segment percent-encoded (decision 1040). */
    static String path(String reference) {
        List<String> segments = new ArrayList<>();
        for (String s : reference.split("/", -1)) {
            segments.add(ApiClient.segment(s));
        }
        return "/v1/images/" + String.join("/", segments);
    }

    /** An image object of the API, for tables and templates (decision 1036). */
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Reference", "REFERENCE", i -> i.path("reference").asText())
        .column("Digest", "DIGEST", i -> Sizes.shortDigest(i.path("manifest_digest").asText()))
        .column("Layers", "LAYERS", i -> String.valueOf(i.path("layers").size()))
        .column("Size", "SIZE", i -> Sizes.bytes(i.path("size").asLong()))
        .column("Pulled", "PULLED", i -> ListCommand.time(i.path("pulled_at").asText("")))
        .extra("ManifestDigest", "MANIFEST DIGEST", i -> i.path("manifest_digest").asText())
        .extra("ConfigDigest", "CONFIG DIGEST", i -> i.path("config_digest").asText())
        .extra("SizeBytes", "SIZE (BYTES)", i -> i.path("size").asText())
        .key("Reference");

    private static final String FIELD_LIST =
        "--format fields: .Reference .Digest .Layers .Size .Pulled .ManifestDigest .ConfigDigest .SizeBytes";

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List the cached images.",
        footer = {"", FIELD_LIST})
    static final class ListImages implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Option(names = {"-q", "--quiet"}, description = "Print only the references.")
        boolean quiet;

        ListImages(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, quiet);
            JsonNode images = cli.api().get("/v1/images").path("data");
            if (!images.isArray()) {
                throw new CliException("the server's image list has no data array");
            }
            List<JsonNode> rows = new ArrayList<>();
            images.forEach(rows::add);
            cli.out.print(output.list(cli, FIELDS, rows, i -> i, quiet));
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print an image's details (layers, runtime defaults) as JSON.", footer = {"", FIELD_LIST})
    static final class InspectImage implements Callable<Integer> {
        private final Cli cli;

        @Mixin
        OutputOptions output = new OutputOptions();

        @Parameters(paramLabel = "IMAGE", description = "Image reference.")
        String image;

        InspectImage(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            output.validate(FIELDS, false);
            cli.out.print(output.one(cli, FIELDS, cli.api().get(path(image)), i -> i));
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
        description = "Remove images; their layers go when no other image uses them.")
    static final class RemoveImages implements Callable<Integer> {
        private final Cli cli;

        @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image references.")
        List<String> images = new ArrayList<>();

        RemoveImages(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            return EachName.apply(cli, images, image -> {
                cli.api().delete(path(image));
                return image;
            });
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
        description = "Delete cached layers and root disks that no image uses.")
    static final class PruneImages implements Callable<Integer> {
        private final Cli cli;

        PruneImages(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() {
            long freed = cli.api().post("/v1/images/prune", cli.json().createObjectNode()).path("bytes_freed").asLong();
            cli.out.println("Reclaimed " + Sizes.bytes(freed));
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load images from a Docker archive or OCI layout tar (docker save's output).")
    static final class LoadImages implements Callable<Integer> {
        private final Cli cli;

        @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "The tar to read (default: stdin).")
        Path input;

        LoadImages(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            if (input != null && !Files.isRegularFile(input)) {
                throw new CliException("--input " + input + ": not a readable file");
            }
            JsonNode loaded;
            try (InputStream tar = input == null ? cli.stdin : Files.newInputStream(input)) {
                loaded = cli.api().upload("/v1/images/load", tar, input == null ? -1 : Files.size(input));
            }
            loaded.path("data").forEach(i -> cli.out.println("Loaded image: " + Text.cell(i.path("reference").asText())));
            return 0;
        }
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
        description = "Write an image to a tar: a Docker archive (docker load reads it) or an OCI layout.")
    static final class SaveImage implements Callable<Integer> {
        enum Format { docker, oci }

        private final Cli cli;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "The tar to write.")
        Path output;

        @Option(names = "--format", paramLabel = "FORMAT", description = "docker (the default) or oci.")
        Format format = Format.docker;

        @Parameters(paramLabel = "IMAGE", description = "Image reference.")
        String image;

        SaveImage(Cli cli) {
            this.cli = cli;
        }

        @Override
        public Integer call() throws IOException {
            cli.api().downloadTo(path(image) + "/archive?format=" + format, output);
            return 0;
        }
    }
}
