package io.msb.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@code --format} template (decision 1036): text with {@code {{.Field}}} placeholders and the escapes {@code \t},
 * {@code \n} and {@code \\}. That is the whole language: no functions, pipes or conditions. Field names are the
 * command's ({@link Fields}), case-sensitive as in docker's templates; spaces inside the braces are allowed.
 */
final class Template {
    /** Literal text or a field; exactly one of the two is set. */
    private record Part(String text, String field) {
    }

    private final List<Part> parts;

    private Template(List<Part> parts) {
        this.parts = parts;
    }

    /**
     * Parses {@code text}; every field must be one of {@code fields}.
     *
     * @throws CliException naming the option, the place and the rule broken
     */
    static Template parse(String text, Fields<?> fields) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && "tn\\".indexOf(text.charAt(i + 1)) >= 0) {
                char e = text.charAt(i + 1);
                literal.append(e == 't' ? '\t' : e == 'n' ? '\n' : '\\');
                i += 2;
            } else if (text.startsWith("{{", i)) {
                int end = text.indexOf("}}", i + 2);
                if (end < 0) {
                    throw new CliException("--format: the '{{' at character " + (i + 1) + " is not closed by '}}'");
                }
                String inside = text.substring(i + 2, end).strip();
                if (!inside.matches("\\.[A-Za-z][A-Za-z0-9]*")) {
                    throw new CliException("--format: {{" + Text.cell(inside) + "}} at character " + (i + 1)
                        + ": only {{.Field}} is supported, a field name after a dot (fields: " + fields.names() + ")");
                }
                String field = inside.substring(1);
                if (!fields.has(field)) {
                    throw new CliException("--format: unknown field ." + field + " at character " + (i + 1)
                        + " (fields: " + fields.names() + ")");
                }
                if (!literal.isEmpty()) {
                    parts.add(new Part(literal.toString(), null));
                    literal.setLength(0);
                }
                parts.add(new Part(null, field));
                i = end + 2;
            } else if (text.startsWith("}}", i)) {
                throw new CliException("--format: the '}}' at character " + (i + 1) + " closes no '{{'");
            } else {
                literal.append(c);
                i++;
            }
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(literal.toString(), null));
        }
        return new Template(parts);
    }

    /** The text with each field replaced by {@code value.apply(field)}. */
    String render(Function<String, String> value) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts) {
            sb.append(p.text != null ? p.text : value.apply(p.field));
        }
        return sb.toString();
    }

    /** For {@code table TEMPLATE}: the template split into cells at its tabs (an escaped tab splits too). */
    List<Template> cells() {
        List<Template> cells = new ArrayList<>();
        List<Part> current = new ArrayList<>();
        for (Part p : parts) {
            if (p.field != null) {
                current.add(p);
                continue;
            }
            String[] pieces = p.text.split("\t", -1);
            for (int k = 0; k < pieces.length; k++) {
                if (k > 0) {
                    cells.add(new Template(current));
                    current = new ArrayList<>();
                }
                if (!pieces[k].isEmpty()) {
                    current.add(new Part(pieces[k], null));
                }
            }
        }
        cells.add(new Template(current));
        return cells;
    }

    /** Renders with each field's header in place of its value: a table's header cell. */
    String header(Map<String, String> headers) {
        return render(headers::get);
    }
}
