package io.msb.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * {@code --json} and {@code --format} of every listing and inspect command (a picocli mixin), and the one place
 * that renders rows for them (decision 1036): the default table, a JSON array, {@code json} (one object a line),
 * {@code table TEMPLATE} or a bare {@code TEMPLATE}. {@code -q} stays with the listings that have it; it prints
 * {@link Fields#key} and goes with neither option.
 */
final class OutputOptions {
    @Option(names = "--json", description = "Print the objects as a JSON array (an inspect: the object), "
        + "with the API's field names.")
    boolean json;

    @Option(names = "--format", paramLabel = "FORMAT", description = "table (the default), json (one JSON object a "
        + "line), 'table TEMPLATE' (a table of those columns) or 'TEMPLATE' (a line per row): a template is text with "
        + "{{.Field}} and the escapes \\t \\n \\\\; a wrong field is refused with the list of fields.")
    String format;

    /** Whether --json or --format was given (a command with its own human form then leaves it out). */
    boolean given() {
        return json || format != null;
    }

    /** What a command prints with no option: a table (listings) or the JSON object (inspect). */
    enum Default { TABLE, JSON }

    /**
     * Refuses options that do not go together and a template that names a field {@code fields} lacks; commands call
     * it before asking the server anything.
     */
    void validate(Fields<?> fields, boolean quiet) {
        if (quiet && (json || format != null)) {
            throw new CliException("-q prints the keys only: leave out " + (json ? "--json" : "--format"));
        }
        if (json && format != null) {
            throw new CliException("--json and --format: give one of them");
        }
        String template = template();
        if (template != null) {
            Template.parse(template, fields);
        }
    }

    /** The template of --format, or null for none (json, the default table). */
    private String template() {
        if (format == null || format.strip().equals("json") || format.strip().equals("table")) {
            return null;
        }
        return format.startsWith("table ") ? format.substring("table ".length()).strip() : format;
    }

    /** Renders a listing; {@code quiet} prints the key field of each row. */
    <T> String list(Cli cli, Fields<T> fields, List<T> rows, Function<T, JsonNode> asJson, boolean quiet) {
        validate(fields, quiet);
        if (quiet) {
            StringBuilder sb = new StringBuilder();
            rows.forEach(r -> sb.append(Text.cell(fields.key(r))).append('\n'));
            return sb.toString();
        }
        return render(cli, fields, rows, asJson, Default.TABLE);
    }

    /** Renders one object (an inspect): the JSON object unless asked otherwise. */
    <T> String one(Cli cli, Fields<T> fields, T row, Function<T, JsonNode> asJson) {
        return render(cli, fields, List.of(row), asJson, Default.JSON);
    }

    private <T> String render(Cli cli, Fields<T> fields, List<T> rows, Function<T, JsonNode> asJson, Default otherwise) {
        validate(fields, false);
        try {
            if (json || format == null && otherwise == Default.JSON) {
                if (otherwise == Default.JSON) {
                    return cli.json().writerWithDefaultPrettyPrinter().writeValueAsString(asJson.apply(rows.get(0))) + "\n";
                }
                ArrayNode array = cli.json().createArrayNode();
                rows.forEach(r -> array.add(asJson.apply(r)));
                return cli.json().writerWithDefaultPrettyPrinter().writeValueAsString(array) + "\n";
            }
            String f = format == null ? "table" : format;
            if (f.strip().equals("json")) {
                StringBuilder sb = new StringBuilder();
                for (T r : rows) {
                    sb.append(cli.json().writeValueAsString(asJson.apply(r))).append('\n');
                }
                return sb.toString();
            }
            String t = template();
            if (f.strip().equals("table") || f.startsWith("table ")) {
                return table(fields, rows, Template.parse(t == null || t.isEmpty() ? fields.defaultTable() : t, fields));
            }
            Template template = Template.parse(t, fields);
            StringBuilder sb = new StringBuilder();
            rows.forEach(r -> sb.append(template.render(name -> Text.printable(fields.value(name, r)))).append('\n'));
            return sb.toString();
        } catch (JsonProcessingException e) {
            throw new CliException("cannot write JSON: " + e.getOriginalMessage());
        }
    }

    /** An aligned table whose columns are the template's tab-separated cells, headed by their fields' headers. */
    static <T> String table(Fields<T> fields, List<T> rows, Template template) {
        List<Template> cells = template.cells();
        List<String[]> lines = new ArrayList<>();
        lines.add(cells.stream().map(c -> c.header(fields.headers())).toArray(String[]::new));
        for (T r : rows) {
            lines.add(cells.stream().map(c -> c.render(name -> fields.value(name, r))).toArray(String[]::new));
        }
        return Table.format(lines);
    }
}
