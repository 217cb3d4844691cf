package io.msb.api.network;

import io.msb.api.InvalidConfigException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads one JSON object in its plain-Java form (Map, List, String, Boolean, Number) strictly: wrong types,
 * fractions for integers and unknown fields are errors naming the field's full path.
 */
final class MapReader {
    /** An error that already names the full path, so enclosing readers pass it on unchanged. */
    static final class PathError extends InvalidConfigException {
        private static final long serialVersionUID = 1L;

        PathError(String field, String rule) {
            super(field, field + ": " + rule);
        }
    }

    private static final int MAX_DEPTH = 32;
    private final String path;
    private final Map<?, ?> map;
    private final Set<String> read = new HashSet<>();

    private MapReader(String path, Map<?, ?> map) {
        this.path = path;
        this.map = map;
    }

    static MapReader of(Object value, String path) {
        if (!(value instanceof Map<?, ?> m)) {
            throw new PathError(path, "must be an object, got " + describe(value));
        }
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) {
                throw new PathError(path, "keys must be strings");
            }
        }
        return new MapReader(path, m);
    }

    String at(String key) {
        return path + "." + key;
    }

    boolean has(String key) {
        read.add(key);
        return map.get(key) != null;
    }

    private Object get(String key) {
        read.add(key);
        return map.get(key);
    }

    String string(String key) {
        Object v = get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw new PathError(at(key), "must be a string, got " + describe(v));
    }

    String requiredString(String key) {
        String s = string(key);
        if (s == null) {
            throw new PathError(at(key), "is required");
        }
        return s;
    }

    boolean bool(String key, boolean absent) {
        Object v = get(key);
        if (v == null) {
            return absent;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw new PathError(at(key), "must be true or false, got " + describe(v));
    }

    int integer(String key, int min, int max) {
        Long v = optionalLong(key, min, max);
        if (v == null) {
            throw new PathError(at(key), "is required");
        }
        return v.intValue();
    }

    Long optionalLong(String key, long min, long max) {
        Object v = get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || (v instanceof BigInteger b && b.bitLength() < 64)) {
            long n = ((Number) v).longValue();
            if (n < min || n > max) {
                throw new PathError(at(key), "must be in [" + min + ", " + max + "], got " + n);
            }
            return n;
        }
        throw new PathError(at(key), "must be an integer in [" + min + ", " + max + "], got " + describe(v));
    }

    /** A list field (absent = empty), each element turned into T by {@code element(value, path)}. */
    <T> List<T> list(String key, int max, ElementReader<T> element) {
        Object v = get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new PathError(at(key), "must be a list, got " + describe(v));
        }
        if (l.size() > max) {
            throw new PathError(at(key), "has " + l.size() + " entries (max " + max + ")");
        }
        List<T> out = new ArrayList<>(l.size());
        for (int i = 0; i < l.size(); i++) {
            out.add(element.read(l.get(i), at(key) + "[" + i + "]"));
        }
        return out;
    }

    /** A nested object field, or null if absent. */
    <T> T object(String key, ElementReader<T> reader) {
        Object v = get(key);
        return v == null ? null : reader.read(v, at(key));
    }

    /** A field kept as it came (a deep, unmodifiable copy of its JSON form), or null. */
    Object raw(String key) {
        return copy(get(key), at(key), 0);
    }

    /** Runs a record's constructor: its errors get this object's path; then rejects unknown fields. */
    <T> T build(Supplier<T> constructor) {
        T value;
        try {
            value = constructor.get();
        } catch (PathError e) {
            throw e;
        } catch (InvalidConfigException e) {
            String field = e.field() == null || e.field().isEmpty() ? path : at(e.field());
            String detail = e.getMessage().replaceFirst("^invalid config: ", "");
            throw new PathError(field, detail.startsWith(e.field() + ": ")
                    ? detail.substring(e.field().length() + 2) : detail);
        }
        for (Object k : map.keySet()) {
            if (!read.contains(k)) {
                throw new PathError(at((String) k), "unknown field");
            }
        }
        return value;
    }

    @FunctionalInterface
    interface ElementReader<T> {
        T read(Object value, String path);
    }

    static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "\"" + (s.length() > 64 ? s.substring(0, 64) + "…" : s) + "\"";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "a list";
        }
        return String.valueOf(v);
    }

    static Object copy(Object v, String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw new PathError(path, "is nested too deeply (max " + MAX_DEPTH + ")");
        }
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
            return v;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new PathError(path, "keys must be strings");
                }
                out.put(k, copy(e.getValue(), path + "." + k, depth + 1));
            }
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                out.add(copy(l.get(i), path + "[" + i + "]", depth + 1));
            }
            return Collections.unmodifiableList(out);
        }
        throw new PathError(path, "must be JSON (object, list, string, number, boolean), got " + v.getClass().getName());
    }

    /** An ordered map for toMap(): JSON output keeps microsandbox's field order. */
    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                out.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return out;
    }
}
