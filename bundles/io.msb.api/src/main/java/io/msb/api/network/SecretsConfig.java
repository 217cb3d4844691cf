package io.msb.api.network;

import io.msb.api.Check;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sandbox's secrets. JSON, local form {@code {"secrets":[SecretEntry…],"on_violation":"block-and-log"}}; the
 * cloud form (as microsandbox's SDK sends it) {@code {"entries":[…],"on_violation":{"type":"block_and_log"}}} is
 * read too.
 *
 * @param entries at most {@link #MAX_ENTRIES}; env vars and placeholders distinct
 * @param onViolation the action for entries that name none (default block-and-log)
 */
public record SecretsConfig(List<SecretEntry> entries, ViolationAction onViolation) {
    public static final int MAX_ENTRIES = 64;
    public static final SecretsConfig NONE = new SecretsConfig(List.of(), null);

    public SecretsConfig {
        entries = List.copyOf(Check.maxSize("secrets", entries == null ? List.of() : entries, MAX_ENTRIES));
        onViolation = onViolation == null ? ViolationAction.BLOCK_AND_LOG : onViolation;
        Set<String> vars = new HashSet<>();
        Set<String> placeholders = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            SecretEntry e = entries.get(i);
            if (!vars.add(e.envVar())) {
                throw Check.invalid("secrets[" + i + "].env_var", "names " + e.envVar() + " again");
            }
            for (String p : placeholders) {
                if (p.contains(e.placeholder()) || e.placeholder().contains(p)) {
                    throw Check.invalid("secrets[" + i + "].placeholder", "overlaps another entry's placeholder");
                }
            }
            placeholders.add(e.placeholder());
        }
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The action for an entry: its own, or the set's. */
    public ViolationAction actionFor(SecretEntry e) {
        return e.onViolation() != null ? e.onViolation() : onViolation;
    }

    /** The local JSON form without values. */
    public Map<String, Object> toMap() {
        return toMap(false);
    }

    /** The local JSON form; values only with {@code includeValues} (see {@link SecretEntry#toMap(boolean)}). */
    public Map<String, Object> toMap(boolean includeValues) {
        return MapReader.ordered("secrets", entries.stream().map(e -> e.toMap(includeValues)).toList(),
                "on_violation", onViolation.toMap());
    }

    static SecretsConfig read(Object v, String path) {
        MapReader m = MapReader.of(v, path);
        return m.build(() -> {
            boolean cloud = m.has("entries");
            if (cloud && m.has("secrets")) {
                throw new MapReader.PathError(path, "give entries (cloud form) or secrets (local form), not both");
            }
            return new SecretsConfig(m.list(cloud ? "entries" : "secrets", MAX_ENTRIES, SecretEntry::read),
                    m.object("on_violation", ViolationAction::read));
        });
    }
}
