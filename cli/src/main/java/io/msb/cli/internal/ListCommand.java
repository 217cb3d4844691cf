package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code msb ls} / {@code msb ps}: the sandboxes, as a table or as JSON. */
@Command(name = "ls", aliases = "ps", mixinStandardHelpOptions = true, description = "List sandboxes.")
final class ListCommand implements Callable<Integer> {
    /** Bounds the pages followed, so a server that always says has_more cannot keep the CLI forever. */
    static final int MAX_PAGES = 10_000;

    private final Cli cli;

    @Option(names = "--json", description = "Print the server's sandbox objects as a JSON array.")
    boolean json;

    @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "Only sandboxes with this label (repeatable: all must match).")
    List<String> labels = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, description = "Print only the names.")
    boolean quiet;

    ListCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        ArrayNode all = fetch();
        if (json) {
            cli.out.println(cli.json.writerWithDefaultPrettyPrinter().writeValueAsString(all));
        } else if (quiet) {
            all.forEach(s -> cli.out.println(Text.cell(s.path("name").asText())));
        } else {
            cli.out.print(table(all));
        }
        return 0;
    }

    private ArrayNode fetch() throws Exception {
        Map<String, String> filter = Cli.labels(labels);
        String query = filter.isEmpty() ? ""
            : "&labels=" + URLEncoder.encode(cli.json.writeValueAsString(filter), StandardCharsets.UTF_8);
        ArrayNode all = cli.json.createArrayNode();
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
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "STATUS", "IMAGE", "CREATED"});
        for (JsonNode s : sandboxes) {
            rows.add(new String[] {s.path("name").asText(), s.path("status").asText(""),
                image(s.path("spec").path("image")), time(s.path("created_at").asText(""))});
        }
        return Table.format(rows);
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
