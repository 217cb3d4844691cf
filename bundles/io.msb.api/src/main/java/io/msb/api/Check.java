package io.msb.api;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;

/**
 * The field rules every bundle applies to input it accepts, from a user or from the guest, so that a broken rule
 * reads the same everywhere: an {@link InvalidConfigException} whose detail is {@code "<field>: <rule>"}, e.g.
 * {@code "pid: must be in [1, 4294967295], got 0"}. Bounds belong to the caller (a column, a wire limit).
 */
public final class Check {
    private Check() {
    }

    /** A rule broken by {@code field}. */
    public static InvalidConfigException invalid(String field, String rule) {
        return new InvalidConfigException(field, field + ": " + rule);
    }

    public static <T> T required(String field, T value) {
        if (value == null) {
            throw invalid(field, "required");
        }
        return value;
    }

    /** Present, not empty, and at most {@code maxBytes} bytes of UTF-8. */
    public static String notEmpty(String field, String value, int maxBytes) {
        if (maxLength(field, required(field, value), maxBytes).isEmpty()) {
            throw invalid(field, "must not be empty");
        }
        return value;
    }

    /** At most {@code maxBytes} bytes of UTF-8 (null passes: combine with {@link #required}). */
    public static String maxLength(String field, String value, int maxBytes) {
        // chars <= bytes for UTF-8, so only long strings need the exact count
        if (value != null && value.length() > maxBytes / 3
                && value.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw invalid(field, "longer than " + maxBytes + " bytes");
        }
        return value;
    }

    /** A path for the guest: present, at most 4096 bytes, no NUL. */
    public static String path(String field, String value) {
        maxLength(field, required(field, value), 4096);
        if (value.indexOf('\0') >= 0) {
            throw invalid(field, "must not contain NUL");
        }
        return value;
    }

    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw invalid(field, "must be >= 0, got " + value);
        }
        return value;
    }

    /** An unsigned 32-bit number (a uid, gid or mode). */
    public static long u32(String field, long value) {
        return range(field, value, 0, 0xffffffffL);
    }

    public static long range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw invalid(field, "must be in [" + min + ", " + max + "], got " + value);
        }
        return value;
    }

    public static int range(String field, int value, int min, int max) {
        return (int) range(field, (long) value, min, max);
    }

    public static <C extends Collection<?>> C maxSize(String field, C value, int max) {
        if (value.size() > max) {
            throw invalid(field, "more than " + max + " entries");
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
        throw invalid(field, "must be one of " + String.join(", ", allowed) + ", got '"
                + (value.length() > 32 ? value.substring(0, 32) + "…" : value) + "'");
    }

    /** A list of strings bounded in count and in total bytes; null reads as empty. */
    public static List<String> strings(String field, List<String> value, int maxCount, int maxTotalBytes) {
        if (value == null) {
            return List.of();
        }
        maxSize(field, value, maxCount);
        long total = 0;
        for (int i = 0; i < value.size(); i++) {
            total += required(field + "[" + i + "]", value.get(i)).length();
        }
        if (total > maxTotalBytes) {
            throw invalid(field, "more than " + maxTotalBytes + " bytes in total");
        }
        return List.copyOf(value);
    }
}
