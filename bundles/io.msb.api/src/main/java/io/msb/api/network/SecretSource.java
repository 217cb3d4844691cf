package io.msb.api.network;

import io.msb.api.Check;
import java.util.Locale;
import java.util.Map;

/**
 * Where a secret's value comes from when it is not given inline. JSON {@code {"type":"env","var":"NAME"}} (the
 * server's own environment) or {@code {"type":"store","reference":"REF"}} (the server's secret store, which is
 * where inline values go at create so that no record keeps them in clear text).
 */
public record SecretSource(Kind kind, String name) {
    public enum Kind { ENV, STORE }

    public static final int MAX_NAME_BYTES = 1024;

    public SecretSource {
        Check.required("type", kind);
        Check.notEmpty(kind == Kind.ENV ? "var" : "reference", name, MAX_NAME_BYTES);
        if (name.indexOf('\0') >= 0 || kind == Kind.ENV && name.indexOf('=') >= 0) {
            throw Check.invalid(kind == Kind.ENV ? "var" : "reference", "must not contain NUL"
                    + (kind == Kind.ENV ? " or '='" : ""));
        }
    }

    public static SecretSource env(String variable) {
        return new SecretSource(Kind.ENV, variable);
    }

    public static SecretSource store(String reference) {
        return new SecretSource(Kind.STORE, reference);
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("type", kind.name().toLowerCase(Locale.ROOT), kind == Kind.ENV ? "var" : "reference",
                name);
    }

    static SecretSource read(Object v, String path) {
        MapReader m = MapReader.of(v, path);
        return m.build(() -> {
            String type = m.requiredString("type");
            return switch (type.toLowerCase(Locale.ROOT)) {
                case "env" -> env(m.requiredString("var"));
                case "store" -> store(m.requiredString("reference"));
                default -> throw new MapReader.PathError(path + ".type", "must be env or store, got "
                        + MapReader.describe(type));
            };
        });
    }
}
