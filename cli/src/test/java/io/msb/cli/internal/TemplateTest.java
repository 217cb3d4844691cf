package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The --format language: {{.Field}}, the escapes, table TEMPLATE, and errors that name the place and the rule. */
class TemplateTest {
    private static final Fields<Map<String, String>> FIELDS = new Fields<Map<String, String>>()
        .column("Name", "NAME", r -> r.get("name"))
        .column("Status", "STATUS", r -> r.get("status"))
        .extra("ID", "ID", r -> r.get("id"))
        .key("Name");
    private static final Map<String, String> ROW = Map.of("name", "box", "status", "running", "id", "42");

    private static String render(String template) {
        return Template.parse(template, FIELDS).render(f -> FIELDS.value(f, ROW));
    }

    @Test
    void fieldsAndEscapesAreReplaced() {
        assertEquals("box\trunning\n42", render("{{.Name}}\\t{{ .Status }}\\n{{.ID}}"));
        assertEquals("name=box \\ {x}", render("name={{.Name}} \\\\ {x}"));
        assertEquals("a\\qb", render("a\\qb")); // not an escape: kept as typed
        assertEquals("", render(""));
    }

    @Test
    void errorsNameTheFieldOrThePlaceAndTheRule() {
        CliException unknown = assertThrows(CliException.class, () -> render("{{.Name}} {{.Staus}}"));
        assertEquals("--format: unknown field .Staus at character 11 (fields: .Name, .Status, .ID)", unknown.getMessage());
        CliException lower = assertThrows(CliException.class, () -> render("{{.name}}"));
        assertEquals("--format: unknown field .name at character 1 (fields: .Name, .Status, .ID)", lower.getMessage());
        CliException open = assertThrows(CliException.class, () -> render("x {{.Name"));
        assertEquals("--format: the '{{' at character 3 is not closed by '}}'", open.getMessage());
        CliException function = assertThrows(CliException.class, () -> render("{{json .Name}}"));
        assertEquals("--format: {{json .Name}} at character 1: only {{.Field}} is supported, a field name after a dot "
            + "(fields: .Name, .Status, .ID)", function.getMessage());
        CliException close = assertThrows(CliException.class, () -> render("a }}"));
        assertEquals("--format: the '}}' at character 3 closes no '{{'", close.getMessage());
    }

    @Test
    void aTableTemplateIsSplitIntoColumnsAtItsTabs() {
        String table = OutputOptions.table(FIELDS, List.of(ROW, Map.of("name", "longer-name", "status", "stopped\u001b",
            "id", "7")), Template.parse("{{.ID}}\\t{{.Name}} ({{.Status}})", FIELDS));
        assertEquals("""
            ID   NAME (STATUS)
            42   box (running)
            7    longer-name (stopped?)
            """, table);
    }

    @Test
    void theDefaultTableHasTheColumnFieldsOnly() {
        assertEquals("{{.Name}}\t{{.Status}}", FIELDS.defaultTable());
    }
}
