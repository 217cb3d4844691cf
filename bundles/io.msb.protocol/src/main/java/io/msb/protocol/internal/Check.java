package io.msb.protocol.internal;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/** Field validation for payloads: every message names the field and the rule it broke. */
public final class Check {
    private Check() {
    }

    public static <T> T required(String field, T value) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": required");
        }
        return value;
    }

    public static String maxLength(String field, String value, int maxBytes) {
        // chars <= bytes for UTF-8, so only long strings need the exact count
        if (value.length() > maxBytes / 3 && value.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new IllegalArgumentException(field + ": longer than " + maxBytes + " bytes");
        }
        return value;
    }

    public static String path(String field, String value) {
        maxLength(field, required(field, value), 4096);
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + ": must not contain NUL");
        }
        return value;
    }

    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(field + ": must be >= 0, got " + value);
        }
        return value;
    }

    public static long u32(String field, long value) {
        return range(field, value, 0, 0xffffffffL);
    }

    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    public static int range(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + ": must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    public static <C extends Collection<?>> C maxSize(String field, C value, int max) {
        if (value.size() > max) {
            throw new IllegalArgumentException(field + ": more than " + max + " entries");
        }
        return value;
    }

    public static String oneOf(String field, String value, String... allowed) {
        required(field, value);
        for (String a : allowed) {
            if (a.equals(value)) {
                return value;
            }
        }
        throw new IllegalArgumentException(field + ": must be one of " + String.join(", ", allowed) + ", got '"
                + (value.length() > 32 ? value.substring(0, 32) + "…" : value) + "'");
    }

    /** A list of strings with a bound on count and on total bytes; null reads as empty. */
    public static List<String> strings(String field, List<String> value, int maxCount, int maxTotalBytes) {
        if (value == null) {
            return List.of();
        }
        maxSize(field, value, maxCount);
        long total = 0;
        for (int i = 0; i < value.size(); i++) {
            String s = required(field + "[" + i + "]", value.get(i));
            total += s.length();
        }
        if (total > maxTotalBytes) {
            throw new IllegalArgumentException(field + ": more than " + maxTotalBytes + " bytes in total");
        }
        return List.copyOf(value);
    }
}
