package io.msb.shell.internal;

import java.util.List;

/** Left-aligned text columns sized to their content, two spaces apart, as docker prints tables. */
final class Columns {
    private Columns() {
    }

    static String render(List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                out.append(row.get(i));
                if (i < row.size() - 1) {
                    out.append(" ".repeat(widths[i] - row.get(i).length() + 2));
                }
            }
            out.append(System.lineSeparator());
        }
        return out.toString().stripTrailing();
    }
}
