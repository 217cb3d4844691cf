package io.msb.api.network;

/**
 * Destination groups. Every address belongs to exactly one: {@code host} (the sandbox's gateway,
 * {@code host.microsandbox.internal}), {@code metadata} (cloud metadata addresses, before
 * {@code link_local}), {@code loopback}, {@code private} (RFC 1918, CGN 100.64/10, ULA fc00::/7),
 * {@code link_local}, {@code multicast}, or else {@code public}.
 */
public enum Group {
    PUBLIC, LOOPBACK, PRIVATE, LINK_LOCAL, METADATA, MULTICAST, HOST;

    /** The JSON value, e.g. {@code link_local}. */
    public String wire() {
        return Wire.name(this);
    }

    /** Parses the JSON value; also accepts {@code link-local}, the spelling of microsandbox's TypeScript type. */
    public static Group fromWire(String value) {
        return parse(value, "group");
    }

    static Group parse(Object value, String field) {
        return Wire.parse(Group.class, "link-local".equals(value) ? "link_local" : value, field);
    }
}
