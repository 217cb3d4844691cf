package io.msb.api.network;

/** A rule's protocol filter, as microsandbox: {@code tcp}, {@code udp}, {@code icmpv4}, {@code icmpv6}. */
public enum Protocol {
    TCP, UDP, ICMPV4, ICMPV6;

    public String wire() {
        return Wire.name(this);
    }

    public static Protocol fromWire(String value) {
        return Wire.parse(Protocol.class, value, "protocol");
    }

    public boolean isIcmp() {
        return this == ICMPV4 || this == ICMPV6;
    }
}
