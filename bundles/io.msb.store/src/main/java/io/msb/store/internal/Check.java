package io.msb.store.internal;

import io.msb.api.InvalidConfigException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Field rules applied before a value reaches the database; bounds match the V1 schema's columns. */
final class Check {
    static final int NAME_BYTES = 128;
    static final int JSON_CHARS = 1_000_000;
    static final int DIGEST_CHARS = 256;
    static final int REFERENCE_CHARS = 1024;
    static final int LABEL_KEY_CHARS = 256;
    static final int LABEL_VALUE_CHARS = 4096;
    static final int MAX_LABELS = 256;
    static final int MAX_LAYERS = 1024;

    private Check() {
    }

    /** The API words the detail so that it names the field: "{field} {problem}". */
    static InvalidConfigException invalid(String field, String problem) {
        return new InvalidConfigException(field, field + " " + problem);
    }

    static <T> T present(String field, T value) {
        if (value == null) {
            throw invalid(field, "is required");
        }
        return value;
    }

    static String name(String field, String value) {
        text(field, value, NAME_BYTES);
        if (value.isEmpty()) {
            throw invalid(field, "must not be empty");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > NAME_BYTES) {
            throw invalid(field, "is too long: " + bytes + " bytes (max " + NAME_BYTES + ")");
        }
        return value;
    }

    static String text(String field, String value, int maxChars) {
        present(field, value);
        if (value.length() > maxChars) {
            throw invalid(field,
                    "is too long: " + value.length() + " characters (max " + maxChars + ")");
        }
        return value;
    }

    /** Like {@link #text} but also refuses an empty value. */
    static String required(String field, String value, int maxChars) {
        if (text(field, value, maxChars).isEmpty()) {
            throw invalid(field, "must not be empty");
        }
        return value;
    }

    static long nonNegative(String field, long value) {
        if (value < 0) {
            throw invalid(field, "must not be negative: " + value);
        }
        return value;
    }

    static Map<String, String> labels(String field, Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            throw invalid(field, "has too many entries: " + labels.size() + " (max " + MAX_LABELS + ")");
        }
        labels.forEach((k, v) -> {
            if (k.isEmpty()) {
                throw invalid(field, "has an empty key");
            }
            text(field + " key", k, LABEL_KEY_CHARS);
            text(field + "[" + k + "]", v, LABEL_VALUE_CHARS);
        });
        return labels;
    }
}
