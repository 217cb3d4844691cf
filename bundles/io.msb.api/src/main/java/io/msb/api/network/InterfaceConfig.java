package io.msb.api.network;

import io.msb.api.Check;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The guest interface overrides, JSON {@code {"mac":[2,0,0,0,0,1],"mtu":1500,"ipv4_address":"172.16.0.2",
 * "ipv4_pool":"172.16.0.0/12","ipv6_address":…,"ipv6_pool":"fd42:6d73:62::/48"}}; every field optional.
 *
 * @param mac six bytes, or null for a generated one
 * @param mtu 576..65535, or null for the network service's default (io.msb.network: 65520, decision 1180)
 */
public record InterfaceConfig(byte[] mac, Integer mtu, Inet4Address ipv4Address, Destination.Cidr ipv4Pool,
        Inet6Address ipv6Address, Destination.Cidr ipv6Pool) {
    public static final String DEFAULT_IPV4_POOL = "172.16.0.0/12";
    public static final String DEFAULT_IPV6_POOL = "fd42:6d73:62::/48";

    public InterfaceConfig {
        if (mac != null) {
            if (mac.length != 6) {
                throw Check.invalid("mac", "must have 6 bytes, got " + mac.length);
            }
            if ((mac[0] & 1) != 0) {
                throw Check.invalid("mac", "must be a unicast address (lowest bit of the first byte clear)");
            }
            mac = mac.clone();
        }
        if (mtu != null && (mtu < 576 || mtu > 65535)) {
            throw Check.invalid("mtu", "must be in [576, 65535], got " + mtu);
        }
        if (ipv4Pool != null && !(ipv4Pool.network() instanceof Inet4Address)) {
            throw Check.invalid("ipv4_pool", "must be an IPv4 block, got " + ipv4Pool);
        }
        if (ipv6Pool != null && !(ipv6Pool.network() instanceof Inet6Address)) {
            throw Check.invalid("ipv6_pool", "must be an IPv6 block, got " + ipv6Pool);
        }
    }

    @Override
    public byte[] mac() {
        return mac == null ? null : mac.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InterfaceConfig i && java.util.Arrays.equals(mac, i.mac)
                && java.util.Objects.equals(mtu, i.mtu) && java.util.Objects.equals(ipv4Address, i.ipv4Address)
                && java.util.Objects.equals(ipv4Pool, i.ipv4Pool) && java.util.Objects.equals(ipv6Address, i.ipv6Address)
                && java.util.Objects.equals(ipv6Pool, i.ipv6Pool);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(java.util.Arrays.hashCode(mac), mtu, ipv4Address, ipv4Pool, ipv6Address, ipv6Pool);
    }

    @Override
    public String toString() {
        return "InterfaceConfig[mac=" + (mac == null ? null : macText()) + ", mtu=" + mtu + ", ipv4Address="
                + ipv4Address + ", ipv4Pool=" + ipv4Pool + ", ipv6Address=" + ipv6Address + ", ipv6Pool=" + ipv6Pool + "]";
    }

    /** The MAC as {@code 02:00:00:00:00:01}. */
    public String macText() {
        StringBuilder b = new StringBuilder();
        for (byte x : mac) {
            b.append(b.length() == 0 ? "" : ":").append(String.format("%02x", x & 0xff));
        }
        return b.toString();
    }

    public Map<String, Object> toMap() {
        List<Integer> macList = null;
        if (mac != null) {
            macList = new ArrayList<>();
            for (byte x : mac) {
                macList.add(x & 0xff);
            }
        }
        return MapReader.ordered("mac", macList, "mtu", mtu,
                "ipv4_address", ipv4Address == null ? null : ipv4Address.getHostAddress(),
                "ipv4_pool", ipv4Pool == null ? null : ipv4Pool.toString(),
                "ipv6_address", ipv6Address == null ? null : ipv6Address.getHostAddress(),
                "ipv6_pool", ipv6Pool == null ? null : ipv6Pool.toString());
    }

    static InterfaceConfig read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> {
            List<Integer> macBytes = m.list("mac", 6, (v, p) -> {
                if (v instanceof Integer n && n >= 0 && n <= 255) {
                    return n;
                }
                throw new MapReader.PathError(p, "must be a byte 0..255, got " + MapReader.describe(v));
            });
            byte[] mac = null;
            if (m.has("mac")) {
                mac = new byte[macBytes.size()];
                for (int i = 0; i < mac.length; i++) {
                    mac[i] = (byte) (int) macBytes.get(i);
                }
            }
            Long mtu = m.optionalLong("mtu", 576, 65535);
            return new InterfaceConfig(mac, mtu == null ? null : mtu.intValue(),
                    address(m, "ipv4_address", Inet4Address.class), pool(m, "ipv4_pool"),
                    address(m, "ipv6_address", Inet6Address.class), pool(m, "ipv6_pool"));
        });
    }

    private static <A extends InetAddress> A address(MapReader m, String key, Class<A> type) {
        String text = m.string(key);
        if (text == null) {
            return null;
        }
        InetAddress a = Addresses.literal(text);
        if (!type.isInstance(a)) {
            throw new MapReader.PathError(m.at(key), "must be an " + (type == Inet4Address.class ? "IPv4" : "IPv6")
                    + " address, got " + MapReader.describe(text));
        }
        return type.cast(a);
    }

    private static Destination.Cidr pool(MapReader m, String key) {
        String text = m.string(key);
        try {
            return text == null ? null : Destination.Cidr.parse(text);
        } catch (io.msb.api.InvalidConfigException e) {
            throw new MapReader.PathError(m.at(key), e.getMessage().replaceFirst("^invalid config: cidr: ", ""));
        }
    }
}
