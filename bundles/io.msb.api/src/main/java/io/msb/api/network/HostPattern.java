package io.msb.api.network;

import io.msb.api.Check;
import java.util.Locale;
import java.util.Map;

/**
 * A host a secret may be sent to: an exact DNS name, a wildcard {@code *.example.com} (any name below it, not the
 * name itself) or any host. JSON, local form {@code {"exact":"h"}}, {@code {"wildcard":"*.x.com"}}, {@code "any"}
 * (PascalCase accepted); cloud form {@code {"type":"exact","value":"h"}}, {@code {"type":"any"}}.
 */
public record HostPattern(Kind kind, String value) {
    public enum Kind { EXACT, WILDCARD, ANY }

    public static final HostPattern ANY = new HostPattern(Kind.ANY, null);

    public HostPattern {
        Check.required("kind", kind);
        if (kind == Kind.ANY) {
            value = null;
        } else if (kind == Kind.EXACT) {
            value = Addresses.requireHostName("value", Check.required("value", value), value);
        } else {
            Check.required("value", value);
            if (!value.startsWith("*.")) {
                throw Check.invalid("value", "a wildcard must start with \"*.\", got " + MapReader.describe(value));
            }
            value = "*." + Addresses.requireHostName("value", value.substring(2), value);
        }
    }

    public static HostPattern exact(String host) {
        return new HostPattern(Kind.EXACT, host);
    }

    public static HostPattern wildcard(String pattern) {
        return new HostPattern(Kind.WILDCARD, pattern);
    }

    /** A pattern from the CLI's text: {@code *} or {@code any}, {@code *.suffix}, or a name. */
    public static HostPattern parse(String text) {
        if (text.equals("*") || text.equalsIgnoreCase("any")) {
            return ANY;
        }
        return text.startsWith("*.") ? wildcard(text) : exact(text);
    }

    /** Whether {@code host} (a DNS name, any case, trailing dot allowed) matches. */
    public boolean matches(String host) {
        if (kind == Kind.ANY) {
            return true;
        }
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return kind == Kind.EXACT ? h.equals(value) : h.endsWith(value.substring(1));
    }

    /** The local JSON form. */
    public Object toMap() {
        return kind == Kind.ANY ? "any" : Map.of(kind.name().toLowerCase(Locale.ROOT), value);
    }

    /** The cloud JSON form. */
    public Map<String, Object> toCloudMap() {
        return MapReader.ordered("type", kind.name().toLowerCase(Locale.ROOT), "value", value);
    }

    static HostPattern read(Object v, String path) {
        if (v instanceof String s) {
            if (s.equalsIgnoreCase("any")) {
                return ANY;
            }
            throw new MapReader.PathError(path, "must be \"any\", {\"exact\": NAME} or {\"wildcard\": \"*.SUFFIX\"}, got "
                    + MapReader.describe(v));
        }
        MapReader m = MapReader.of(v, path);
        if (m.has("type")) {
            return m.build(() -> {
                Kind k = kind(m.requiredString("type"), path + ".type");
                return new HostPattern(k, k == Kind.ANY ? null : m.requiredString("value"));
            });
        }
        Map<?, ?> map = (Map<?, ?>) v;
        if (map.size() != 1) {
            throw new MapReader.PathError(path, "must have one key: exact, wildcard or any");
        }
        String key = (String) map.keySet().iterator().next();
        Kind k = kind(key, path);
        return m.build(() -> new HostPattern(k, k == Kind.ANY ? null : m.string(key)));
    }

    private static Kind kind(String tag, String path) {
        return switch (tag.toLowerCase(Locale.ROOT)) {
            case "exact" -> Kind.EXACT;
            case "wildcard" -> Kind.WILDCARD;
            case "any" -> Kind.ANY;
            default -> throw new MapReader.PathError(path, "must be exact, wildcard or any, got " + MapReader.describe(tag));
        };
    }
}
