package io.msb.webconsole.internal;

import org.owasp.encoder.Encode;

/**
 * HTML built in one buffer where every value goes through the OWASP encoder: {@link #text} for element content,
 * {@link #attr} for attribute values. {@link #raw} is for the pages' own fixed markup only, never for data.
 */
final class Html {
    /** Longest value shown in a cell; the rest is cut (labels and references may be long). */
    static final int MAX_VALUE = 256;
    private final StringBuilder out = new StringBuilder(4096);

    Html raw(String markup) {
        out.append(markup);
        return this;
    }

    /** Element content, escaped, cut to {@link #MAX_VALUE} characters. */
    Html text(Object value) {
        out.append(Encode.forHtmlContent(cut(value == null ? "" : value.toString())));
        return this;
    }

    /** {@code  name="value"}, the value escaped for a quoted attribute. */
    Html attr(String name, Object value) {
        out.append(' ').append(name).append("=\"")
                .append(Encode.forHtmlAttribute(value == null ? "" : value.toString())).append('"');
        return this;
    }

    /** A form's hidden field. */
    Html hidden(String name, String value) {
        return raw("<input type=\"hidden\"").attr("name", name).attr("value", value).raw(">");
    }

    /** A URL query component. */
    static String query(String value) {
        return Encode.forUriComponent(value);
    }

    static String cut(String value) {
        return value.length() <= MAX_VALUE ? value : value.substring(0, MAX_VALUE) + "…";
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
