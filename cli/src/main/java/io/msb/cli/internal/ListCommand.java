package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code msb ls}: the sandboxes, as a table, JSON or a template (decision 1036). {@code msb ps} is {@link PsCommand}. */
@Command(name = "ls", mixinStandardHelpOptions = true, description = "List sandboxes.",
    footer = {"", "--format fields: .Name .Status .Image .Backend .Created .ID .Cpus .MemoryMib"})
final class ListCommand implements Callable<Integer> {
    /** Bounds the pages followed, so a server that always says has_more cannot keep the CLI forever. */
    static final int MAX_PAGES = 10_000;

    /** A sandbox object of the API, for tables and templates; inspect uses them too. */
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Name", "NAME", s -> s.path("name").asText())
        .column("Status", "STATUS", ListCommand::status)
        .column("Image", "IMAGE", s -> image(s.path("spec").path("image")))
        .column("Backend", "BACKEND", s -> s.path("backend").asText(""))
        .column("Created", "CREATED", s -> time(s.path("created_at").asText("")))
        .extra("ID", "ID", s -> s.path("id").asText(""))
        .extra("Cpus", "CPUS", s -> s.path("spec").path("resources").path("vcpus").asText(""))
        .extra("MemoryMib", "MEMORY (MiB)", s -> s.path("spec").path("resources").path("memory_mib").asText(""))
        .key("Name");

    private final Cli cli;

    @Mixin
    ListOptions options = new ListOptions();

    ListCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        options.print(cli);
        return 0;
    }

    /** The listing as {@code ls} prints it ({@code ps} without a NAME too). */
    static void print(Cli cli, OutputOptions output, List<String> labels, boolean quiet) throws Exception {
        output.validate(FIELDS, quiet);
        List<JsonNode> all = new ArrayList<>();
        fetch(cli, labels).forEach(all::add);
        cli.out.print(output.list(cli, FIELDS, all, s -> s, quiet));
    }

    /** Every sandbox with these labels (KEY=VALUE), page after page. */
    static ArrayNode fetch(Cli cli, List<String> labels) throws Exception {
        Map<String, String> filter = Cli.labels(labels);
        String query = filter.isEmpty() ? ""
            : "&labels=" + URLEncoder.encode(cli.json().writeValueAsString(filter), StandardCharsets.UTF_8);
        ArrayNode all = JsonNodeFactory.instance.arrayNode();
        Set<String> cursors = new HashSet<>();
        String cursor = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            JsonNode answer = cli.api().get("/v1/sandboxes?limit=100" + query
                + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            JsonNode data = answer.path("data");
            if (!data.isArray()) {
                throw new CliException("the server's sandbox list has no data array");
            }
            data.forEach(s -> {
                if (!s.isObject() || !s.path("name").isTextual()) {
                    throw new CliException("the server's sandbox list has an entry without a name");
                }
                all.add(s);
            });
            if (!answer.path("has_more").asBoolean(false)) {
                return all;
            }
            cursor = answer.path("next_cursor").isTextual() ? answer.get("next_cursor").asText() : null;
            if (cursor == null || !cursors.add(cursor)) {
                throw new CliException("the server's sandbox list says has_more but gives no new next_cursor");
            }
        }
        throw new CliException("the server's sandbox list has more than " + MAX_PAGES + " pages");
    }

    static String table(JsonNode sandboxes) {
        List<JsonNode> rows = new ArrayList<>();
        sandboxes.forEach(rows::add);
        return OutputOptions.table(FIELDS, rows, Template.parse(FIELDS.defaultTable(), FIELDS));
    }

    /**
     * The status, with {@code (backend unavailable)} while the backend that runs the sandbox is away: the status is
     * then the last one known (decision 1702). A server without the field has its backends always there.
     */
    static String status(JsonNode sandbox) {
        String status = sandbox.path("status").asText("");
        return sandbox.path("backend_available").asBoolean(true) ? status : status + " (backend unavailable)";
    }

    /** A response's spec carries the image as a string; a request's as {type, reference}: take either. */
    private static String image(JsonNode image) {
        return image.isTextual() ? image.asText() : image.path("reference").asText("");
    }

    /** RFC 3339 to "2026-11-25 11:04:12": seconds are enough in a table. */
    static String time(String t) {
        return t.length() >= 19 && t.charAt(10) == 'T' ? t.substring(0, 10) + " " + t.substring(11, 19) : t;
    }
}
