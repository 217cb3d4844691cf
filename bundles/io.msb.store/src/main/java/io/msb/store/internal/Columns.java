package io.msb.store.internal;

import io.msb.api.Check;
import java.util.Map;

/**
 * The schema's column bounds, checked before a value reaches the database so that a value too large is refused
 * naming its field instead of failing in SQL. The rules and their wording are {@link Check}'s (decision 0615).
 */
final class Columns {
    static final int NAME_BYTES = 128;
    static final int JSON_CHARS = 1_000_000;
    static final int DIGEST_CHARS = 256;
    static final int REFERENCE_CHARS = 1024;
    static final int LABEL_KEY_CHARS = 256;
    static final int LABEL_VALUE_CHARS = 4096;
    static final int MAX_LABELS = 256;
    static final int MAX_LAYERS = 1024;

    private Columns() {
    }

    /** A sandbox or image name: present, not empty, at most {@link #NAME_BYTES} bytes of UTF-8. */
    static String name(String field, String value) {
        return Check.notEmpty(field, value, NAME_BYTES);
    }

    /** Present and fits a text column of {@code maxChars} characters. */
    static String text(String field, String value, int maxChars) {
        if (Check.required(field, value).length() > maxChars) {
            throw Check.invalid(field, "longer than " + maxChars + " characters");
        }
        return value;
    }

    /** Like {@link #text}, and not empty. */
    static String nonEmpty(String field, String value, int maxChars) {
        if (text(field, value, maxChars).isEmpty()) {
            throw Check.invalid(field, "must not be empty");
        }
        return value;
    }

    static Map<String, String> labels(String field, Map<String, String> labels) {
        Check.maxSize(field, labels.keySet(), MAX_LABELS);
        labels.forEach((k, v) -> {
            if (k.isEmpty()) {
                throw Check.invalid(field, "has an empty key");
            }
            text(field + " key", k, LABEL_KEY_CHARS);
            text(field + "[" + k + "]", v, LABEL_VALUE_CHARS);
        });
        return labels;
    }
}
