package io.msb.shell.internal;

import io.msb.api.InvalidConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code KEY=value,KEY2=value2} as typed on the console. */
final class KeyValues {
    private KeyValues() {
    }

    static Map<String, String> parse(String field, String text) {
        Map<String, String> map = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return map;
        }
        for (String part : text.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new InvalidConfigException(field, field + " entries must look like KEY=value: " + part);
            }
            map.put(part.substring(0, eq).trim(), part.substring(eq + 1));
        }
        return map;
    }
}
