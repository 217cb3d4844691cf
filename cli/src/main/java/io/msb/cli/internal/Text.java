package io.msb.cli.internal;

/** Text from the server goes to a terminal: no control characters. */
final class Text {
    private Text() {
    }

    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> sb.appendCodePoint(Character.isISOControl(c) && c != '\n' ? '?' : c));
        return sb.toString();
    }

    /** One table cell: printable, on one line. */
    static String cell(String s) {
        return printable(s).replace('\n', ' ');
    }
}
