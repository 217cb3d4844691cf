package io.msb.cli.internal;

import java.util.List;

/** A table for humans: printable cells, columns padded to their widest cell, the last column unpadded. */
final class Table {
    private Table() {
    }

    /** {@code rows[0]} is the header. */
    static String format(List<String[]> rows) {
        int columns = rows.get(0).length;
        int[] widths = new int[columns];
        List<String[]> cells = rows.stream().map(r -> {
            String[] c = new String[r.length];
            for (int i = 0; i < r.length; i++) {
                c[i] = Text.cell(r[i]);
                widths[i] = Math.max(widths[i], c[i].length());
            }
            return c;
        }).toList();
        StringBuilder sb = new StringBuilder();
        for (String[] r : cells) {
            for (int i = 0; i < r.length; i++) {
                sb.append(i < r.length - 1 ? String.format("%-" + (widths[i] + 3) + "s", r[i]) : r[i]);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
