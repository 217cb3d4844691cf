package io.msb.api.network;

import io.msb.api.Check;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What happens when a secret's placeholder is bound for a host it is not allowed to reach. JSON, local form
 * {@code "block"}, {@code "block-and-log"}, {@code "block-and-terminate"}, {@code {"passthrough":[HostPattern…]}}
 * (PascalCase and snake_case accepted); cloud form {@code {"type":"block_and_log"}},
 * {@code {"type":"passthrough","hosts":[…]}}.
 *
 * @param kind the action
 * @param passthrough for {@link Kind#PASSTHROUGH}: hosts the request goes to unchanged (placeholder and all);
 *        everywhere else the request is blocked and logged
 */
public record ViolationAction(Kind kind, List<HostPattern> passthrough) {
    public enum Kind {
        BLOCK("block"), BLOCK_AND_LOG("block-and-log"), BLOCK_AND_TERMINATE("block-and-terminate"),
        PASSTHROUGH("passthrough");

        private final String wire;

        Kind(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    public static final int MAX_HOSTS = 256;
    public static final ViolationAction BLOCK = new ViolationAction(Kind.BLOCK, List.of());
    public static final ViolationAction BLOCK_AND_LOG = new ViolationAction(Kind.BLOCK_AND_LOG, List.of());
    public static final ViolationAction BLOCK_AND_TERMINATE = new ViolationAction(Kind.BLOCK_AND_TERMINATE, List.of());

    public ViolationAction {
        Check.required("kind", kind);
        passthrough = List.copyOf(passthrough == null ? List.of() : passthrough);
        if (kind != Kind.PASSTHROUGH && !passthrough.isEmpty()) {
            throw Check.invalid("passthrough", "hosts are only for the passthrough action");
        }
        Check.maxSize("passthrough", passthrough, MAX_HOSTS);
    }

    /** Whether a request to {@code host} carrying a placeholder goes out unchanged. */
    public boolean passesThrough(String host) {
        return kind == Kind.PASSTHROUGH && passthrough.stream().anyMatch(p -> p.matches(host));
    }

    /** The local JSON form. */
    public Object toMap() {
        return kind == Kind.PASSTHROUGH ? Map.of("passthrough", passthrough.stream().map(HostPattern::toMap).toList())
                : kind.wire();
    }

    /** The cloud JSON form. */
    public Map<String, Object> toCloudMap() {
        return MapReader.ordered("type", kind.wire().replace('-', '_'), "hosts", kind == Kind.PASSTHROUGH
                ? passthrough.stream().map(HostPattern::toCloudMap).toList() : null);
    }

    static ViolationAction read(Object v, String path) {
        if (v instanceof String s) {
            Kind k = kind(s, path);
            if (k == Kind.PASSTHROUGH) {
                throw new MapReader.PathError(path, "passthrough needs its hosts: {\"passthrough\": [...]}");
            }
            return new ViolationAction(k, List.of());
        }
        MapReader m = MapReader.of(v, path);
        if (m.has("type")) {
            return m.build(() -> {
                Kind k = kind(m.requiredString("type"), path + ".type");
                return new ViolationAction(k, k == Kind.PASSTHROUGH
                        ? m.list("hosts", MAX_HOSTS, HostPattern::read) : List.of());
            });
        }
        Map<?, ?> map = (Map<?, ?>) v;
        if (map.size() != 1 || kind((String) map.keySet().iterator().next(), path) != Kind.PASSTHROUGH) {
            throw new MapReader.PathError(path, "must be block, block-and-log, block-and-terminate or "
                    + "{\"passthrough\": [hosts]}");
        }
        String key = (String) map.keySet().iterator().next();
        return m.build(() -> new ViolationAction(Kind.PASSTHROUGH, m.list(key, MAX_HOSTS, HostPattern::read)));
    }

    private static Kind kind(String tag, String path) {
        String t = tag.replace('_', '-').replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
        for (Kind k : Kind.values()) {
            if (k.wire.equals(t)) {
                return k;
            }
        }
        throw new MapReader.PathError(path, "must be block, block-and-log, block-and-terminate or passthrough, got "
                + MapReader.describe(tag));
    }
}
