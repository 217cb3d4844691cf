package io.msb.api;

import java.util.Map;

/**
 * Selects sandboxes whose labels contain every given key with the given value (an empty value in the
 * selector matches any value of that key, like {@code key} alone in {@code docker ps --filter label=key}).
 */
public record LabelSelector(Map<String, String> required) {
    public static final LabelSelector ALL = new LabelSelector(Map.of());

    public LabelSelector {
        required = Map.copyOf(required);
    }

    public boolean matches(Map<String, String> labels) {
        return required.entrySet().stream().allMatch(e -> labels.containsKey(e.getKey())
                && (e.getValue().isEmpty() || e.getValue().equals(labels.get(e.getKey()))));
    }

    /** Parses {@code key=value,key2} as used by the console and the CLI. */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            return ALL;
        }
        var map = new java.util.LinkedHashMap<String, String>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            map.put(eq < 0 ? p : p.substring(0, eq), eq < 0 ? "" : p.substring(eq + 1));
        }
        return new LabelSelector(map);
    }
}
