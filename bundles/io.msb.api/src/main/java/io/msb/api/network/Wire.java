package io.msb.api.network;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** microsandbox spells every enum value in snake_case: the Java constant in lower case. */
final class Wire {
    private Wire() {
    }

    static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    static <E extends Enum<E>> E parse(Class<E> type, Object value, String field) {
        if (value instanceof String s) {
            for (E e : type.getEnumConstants()) {
                if (name(e).equals(s)) {
                    return e;
                }
            }
        }
        throw new MapReader.PathError(field, "must be one of " + Arrays.stream(type.getEnumConstants()).map(Wire::name)
                .collect(Collectors.joining("|")) + ", got " + MapReader.describe(value));
    }
}
