package io.msb.cli.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The named fields of one kind of row (a sandbox, an image, a process, …): each with its table header and how to read
 * it from a row. They are the columns of the default table and what {@code --format} templates may name
 * (decision 1036). The order is the table's; {@link #key} is what {@code -q} prints.
 *
 * @param <T> the row type (the server's JSON object, or a computed row)
 */
final class Fields<T> {
    private record Field<T>(String header, boolean inTable, Function<T, String> value) {
    }

    private final Map<String, Field<T>> fields = new LinkedHashMap<>();
    private String key;

    /** Adds a field shown in the default table. */
    Fields<T> column(String name, String header, Function<T, String> value) {
        fields.put(name, new Field<>(header, true, value));
        return this;
    }

    /** Adds a field only templates show. */
    Fields<T> extra(String name, String header, Function<T, String> value) {
        fields.put(name, new Field<>(header, false, value));
        return this;
    }

    /** The field {@code -q} prints. */
    Fields<T> key(String name) {
        if (!fields.containsKey(name)) {
            throw new IllegalArgumentException(name);
        }
        key = name;
        return this;
    }

    boolean has(String name) {
        return fields.containsKey(name);
    }

    String names() {
        return String.join(", ", fields.keySet().stream().map(n -> "." + n).toList());
    }

    String value(String name, T row) {
        return fields.get(name).value.apply(row);
    }

    String key(T row) {
        return value(key, row);
    }

    Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        fields.forEach((n, f) -> h.put(n, f.header));
        return h;
    }

    /** The default table's template: the table fields, tab-separated. */
    String defaultTable() {
        return String.join("\t", fields.entrySet().stream().filter(e -> e.getValue().inTable)
            .map(e -> "{{." + e.getKey() + "}}").toList());
    }

    List<String> tableFields() {
        return fields.entrySet().stream().filter(e -> e.getValue().inTable).map(Map.Entry::getKey).toList();
    }
}
