package io.msb.api.network;

import io.msb.api.Check;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A guest port the host publishes: JSON {@code {"host_port":8080,"guest_port":80,"protocol":"tcp",
 * "host_bind":"127.0.0.1"}}; protocol defaults to tcp (the legacy {@code Tcp}/{@code Udp} are accepted),
 * host_bind to 127.0.0.1 (loopback only unless asked).
 *
 * @param hostPort 1..65535
 * @param guestPort 1..65535
 * @param protocol tcp or udp; null means tcp
 * @param hostBind an IP literal the host listener binds (never a name: no DNS lookup); null means 127.0.0.1
 */
public record PublishedPort(int hostPort, int guestPort, Protocol protocol, String hostBind) {
    /** The transport of a published port ({@code "tcp"}, the default, or {@code "udp"}). */
    public enum Protocol {
        TCP, UDP;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String DEFAULT_HOST_BIND = "127.0.0.1";

    public PublishedPort {
        Check.range("host_port", hostPort, 1, 65535);
        Check.range("guest_port", guestPort, 1, 65535);
        protocol = protocol == null ? Protocol.TCP : protocol;
        hostBind = hostBind == null || hostBind.isBlank() ? DEFAULT_HOST_BIND : hostBind;
        InetAddress bind = Addresses.literal(hostBind);
        if (bind == null) {
            throw Check.invalid("host_bind", "must be an IP address, got " + MapReader.describe(hostBind));
        }
        hostBind = bind.getHostAddress();
    }

    public static PublishedPort tcp(int hostPort, int guestPort) {
        return new PublishedPort(hostPort, guestPort, Protocol.TCP, null);
    }

    /** The bind address as an InetAddress (parsed from the literal, no lookup). */
    public InetAddress bindAddress() {
        return Objects.requireNonNull(Addresses.literal(hostBind));
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("host_port", hostPort, "guest_port", guestPort, "protocol", protocol.wire(),
                "host_bind", hostBind);
    }

    static PublishedPort read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> {
            String proto = m.string("protocol");
            Protocol p = proto == null || "Tcp".equals(proto) ? Protocol.TCP
                    : "Udp".equals(proto) ? Protocol.UDP : Wire.parse(Protocol.class, proto, m.at("protocol"));
            return new PublishedPort(m.integer("host_port", 1, 65535), m.integer("guest_port", 1, 65535), p,
                    m.string("host_bind"));
        });
    }
}
