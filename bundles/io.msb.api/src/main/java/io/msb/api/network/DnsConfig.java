package io.msb.api.network;

import io.msb.api.Check;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * DNS interception settings, JSON {@code {"rebind_protection":true,"nameservers":[],"query_timeout_ms":5000}}.
 *
 * @param rebindProtection drop answers with private/reserved addresses unless a rule names them
 * @param nameservers {@code IP}, {@code IP:PORT}, {@code [IPv6]:PORT}, {@code HOST} or {@code HOST:PORT};
 *        empty = the host's /etc/resolv.conf
 * @param queryTimeoutMs how long one upstream query may take, 1..60000
 */
public record DnsConfig(boolean rebindProtection, List<String> nameservers, long queryTimeoutMs) {
    public static final long DEFAULT_QUERY_TIMEOUT_MS = 5000;
    public static final long MAX_QUERY_TIMEOUT_MS = 60_000;
    public static final int MAX_NAMESERVERS = 16;
    public static final DnsConfig DEFAULT = new DnsConfig(true, List.of(), DEFAULT_QUERY_TIMEOUT_MS);

    public DnsConfig {
        nameservers = List.copyOf(nameservers);
        if (nameservers.size() > MAX_NAMESERVERS) {
            throw Check.invalid("nameservers", "has " + nameservers.size() + " entries (max " + MAX_NAMESERVERS + ")");
        }
        for (int i = 0; i < nameservers.size(); i++) {
            Objects.requireNonNull(nameservers.get(i), "nameservers");
            if (Nameserver.parse(nameservers.get(i)) == null) {
                throw Check.invalid("nameservers[" + i + "]", "must be IP, IP:PORT, [IPv6]:PORT, HOST or HOST:PORT, got "
                        + MapReader.describe(nameservers.get(i)));
            }
        }
        Check.range("query_timeout_ms", queryTimeoutMs, 1, MAX_QUERY_TIMEOUT_MS);
    }

    /** A nameserver entry split into host (an IP literal or a DNS name) and port (53 if absent). */
    public record Nameserver(String host, int port) {
        /** Parses one entry, or returns null if it is malformed. */
        public static Nameserver parse(String entry) {
            if (entry == null || entry.isEmpty() || entry.length() > 300) {
                return null;
            }
            String host = entry;
            String port = null;
            if (entry.startsWith("[")) {
                int close = entry.indexOf(']');
                if (close < 0) {
                    return null;
                }
                host = entry.substring(1, close);
                String rest = entry.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        return null;
                    }
                    port = rest.substring(1);
                }
                if (host.indexOf(':') < 0) {
                    return null;
                }
            } else if (entry.indexOf(':') == entry.lastIndexOf(':') && entry.indexOf(':') >= 0) {
                host = entry.substring(0, entry.indexOf(':'));
                port = entry.substring(entry.indexOf(':') + 1);
            }
            boolean literal = Addresses.literal(host) != null;
            if (!literal && (host.indexOf(':') >= 0 || Addresses.hostName(host) == null)) {
                return null;
            }
            int p = 53;
            if (port != null) {
                if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return null;
                }
                p = Integer.parseInt(port);
                if (p < 1 || p > 65535) {
                    return null;
                }
            }
            return new Nameserver(literal ? host : Addresses.hostName(host), p);
        }
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("rebind_protection", rebindProtection, "nameservers", nameservers,
                "query_timeout_ms", queryTimeoutMs);
    }

    static DnsConfig read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> {
            Long timeout = m.optionalLong("query_timeout_ms", 1, MAX_QUERY_TIMEOUT_MS);
            return new DnsConfig(m.bool("rebind_protection", true),
                    m.list("nameservers", MAX_NAMESERVERS, (v, p) -> {
                        if (!(v instanceof String s)) {
                            throw new MapReader.PathError(p, "must be a string, got " + MapReader.describe(v));
                        }
                        return s;
                    }), timeout == null ? DEFAULT_QUERY_TIMEOUT_MS : timeout);
        });
    }
}
