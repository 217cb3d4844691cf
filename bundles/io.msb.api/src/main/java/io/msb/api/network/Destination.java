package io.msb.api.network;

import io.msb.api.Check;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Objects;

/**
 * What a rule matches: JSON {@code "any"}, {@code {"cidr":"10.0.0.0/8"}}, {@code {"domain":"example.com"}},
 * {@code {"domain_suffix":"example.com"}} or {@code {"group":"private"}}. In an ingress rule it matches the
 * peer (source) address.
 */
public sealed interface Destination {

    /** The JSON form: the string {@code "any"} or a one-field object. */
    Object toWire();

    /** Every address, every name. */
    record Any() implements Destination {
        @Override
        public Object toWire() {
            return "any";
        }
    }

    /**
     * An address block. IPv4-mapped IPv6 blocks ({@code ::ffff:10.0.0.0/104}) are kept as the IPv4 block
     * they name; host bits must be zero.
     */
    record Cidr(InetAddress network, int prefix) implements Destination {
        public Cidr {
            Objects.requireNonNull(network, "network");
            int bits = network.getAddress().length * 8;
            if (prefix < 0 || prefix > bits) {
                throw Check.invalid("cidr", "prefix must be in [0, " + bits + "], got " + prefix);
            }
            byte[] b = network.getAddress();
            for (int i = prefix; i < bits; i++) {
                if ((b[i / 8] & (0x80 >>> (i % 8))) != 0) {
                    throw Check.invalid("cidr", "host bits must be zero: " + network.getHostAddress() + "/" + prefix);
                }
            }
        }

        /** Parses {@code 10.0.0.0/8}, {@code fd00::/8} or a bare address (a /32 or /128). */
        public static Cidr parse(String text) {
            Objects.requireNonNull(text, "cidr");
            int slash = text.indexOf('/');
            String addr = slash < 0 ? text : text.substring(0, slash);
            InetAddress a = Addresses.literal(addr);
            if (a == null) {
                throw Check.invalid("cidr", "must be an IP address or block like 10.0.0.0/8, got \"" + text + "\"");
            }
            int prefix;
            if (slash < 0) {
                prefix = a.getAddress().length * 8;
            } else {
                String p = text.substring(slash + 1);
                if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw Check.invalid("cidr", "prefix must be a number, got \"" + text + "\"");
                }
                prefix = Integer.parseInt(p);
                if (Addresses.mappedToIpv4(addr, a)) {
                    if (prefix < 96 || prefix > 128) {
                        throw Check.invalid("cidr", "an IPv4-mapped block needs a prefix 96..128, got \"" + text + "\"");
                    }
                    prefix -= 96;
                }
            }
            return new Cidr(a, prefix);
        }

        /** Whether the address (IPv4-mapped IPv6 counts as IPv4) lies in this block. */
        public boolean contains(InetAddress address) {
            byte[] a = unmapped(address).getAddress();
            byte[] n = network.getAddress();
            if (a.length != n.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != n[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            return rest == 0 || ((a[full] ^ n[full]) & (0xff << (8 - rest)) & 0xff) == 0;
        }

        @Override
        public Object toWire() {
            return Map.of("cidr", network.getHostAddress() + "/" + prefix);
        }

        @Override
        public String toString() {
            return network.getHostAddress() + "/" + prefix;
        }
    }

    /** Exactly this DNS name (canonical: lower case, no trailing dot). */
    record Domain(String name) implements Destination {
        public Domain {
            name = Addresses.requireHostName("domain", name, name);
        }

        public boolean matches(String queried) {
            return name.equals(queried);
        }

        @Override
        public Object toWire() {
            return Map.of("domain", name);
        }
    }

    /** The name and every name under it; a leading dot is dropped, as microsandbox's SDK does. */
    record DomainSuffix(String suffix) implements Destination {
        public DomainSuffix {
            suffix = Addresses.requireHostName("domain_suffix",
                    suffix != null && suffix.startsWith(".") ? suffix.substring(1) : suffix, suffix);
        }

        public boolean matches(String queried) {
            return queried.equals(suffix)
                    || (queried.endsWith(suffix) && queried.charAt(queried.length() - suffix.length() - 1) == '.');
        }

        @Override
        public Object toWire() {
            return Map.of("domain_suffix", suffix);
        }
    }

    /** Every address of a {@link Group}. */
    record InGroup(Group group) implements Destination {
        public InGroup {
            Objects.requireNonNull(group, "group");
        }

        @Override
        public Object toWire() {
            return Map.of("group", group.wire());
        }
    }

    static Destination any() {
        return new Any();
    }

    static Destination cidr(String cidr) {
        return Cidr.parse(cidr);
    }

    static Destination domain(String name) {
        return new Domain(name);
    }

    static Destination domainSuffix(String suffix) {
        return new DomainSuffix(suffix);
    }

    static Destination group(Group group) {
        return new InGroup(group);
    }

    /**
     * The address itself, or the IPv4 address an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) carries,
     * so a policy cannot be bypassed by spelling an IPv4 destination as IPv6.
     */
    static InetAddress unmapped(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16 && !(address instanceof Inet4Address)) {
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return address;
                }
            }
            if (b[10] == (byte) 0xff && b[11] == (byte) 0xff) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return address;
    }

    /** Reads the JSON form. */
    static Destination fromWire(Object value, String path) {
        if ("any".equals(value)) {
            return any();
        }
        if (value instanceof Map<?, ?> m && m.size() == 1) {
            MapReader r = MapReader.of(value, path);
            String key = (String) m.keySet().iterator().next();
            return r.build(() -> switch (key) {
                case "cidr" -> cidr(r.requiredString("cidr"));
                case "domain" -> domain(r.requiredString("domain"));
                case "domain_suffix" -> domainSuffix(r.requiredString("domain_suffix"));
                case "group" -> group(Group.parse(r.requiredString("group"), r.at("group")));
                default -> throw new MapReader.PathError(path, "must be \"any\" or one of {\"cidr\"}, {\"domain\"}, "
                        + "{\"domain_suffix\"}, {\"group\"}, got field \"" + key + "\"");
            });
        }
        throw new MapReader.PathError(path, "must be \"any\" or an object with one of cidr, domain, "
                + "domain_suffix, group; got " + MapReader.describe(value));
    }
}
