package io.msb.webconsole.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.StillRunningException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading the pages' form fields, and turning the API's errors into a field and a message for the page. */
final class Forms {
    /** Most labels a form may give (one {@code key=value} per line). */
    static final int MAX_LABELS = 64;

    private Forms() {
    }

    /** {@code key=value} lines; blank lines are skipped. */
    static Map<String, String> labels(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text == null) {
            return labels;
        }
        for (String line : text.split("\r?\n")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw Check.invalid("labels", "each line is key=value with a non-empty key, not \""
                        + Html.cut(line.strip()) + "\"");
            }
            labels.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            if (labels.size() > MAX_LABELS) {
                throw Check.invalid("labels", "at most " + MAX_LABELS + " labels");
            }
        }
        return labels;
    }

    /** An optional whole number (empty: 0, the platform's default). */
    static int number(String field, String text, int max) {
        if (text == null || text.isBlank()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(text.strip());
            if (n < 0 || n > max) {
                throw Check.invalid(field, "must be between 0 and " + max + ", not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw Check.invalid(field, "must be a whole number, not \"" + Html.cut(text.strip()) + "\"");
        }
    }

    /** A required text field. */
    static String required(String field, String text) {
        if (text == null || text.isBlank()) {
            throw Check.invalid(field, "required");
        }
        return text.strip();
    }

    /** The error as the page shows it: the field it concerns (or null) and its message, never a stack trace. */
    static Flash.Message error(RuntimeException e, Map<String, String> form) {
        String field = null;
        String text = e.getMessage();
        if (e instanceof InvalidConfigException invalid) {
            field = invalid.field();
            text = invalid.detail();
            if (field != null && text.startsWith(field + ": ")) {
                text = text.substring(field.length() + 2); // the page shows the field beside it
            }
        } else if (e instanceof AlreadyExistsException || e instanceof NotFoundException) {
            field = "name";
        } else if (e instanceof StillRunningException || e instanceof InvalidStateException) {
            field = "status";
        } else if (!(e instanceof MsbException)) {
            text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        return new Flash.Message(true, field, text == null ? e.getClass().getSimpleName() : text, form);
    }
}
