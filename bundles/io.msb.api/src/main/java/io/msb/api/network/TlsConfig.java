package io.msb.api.network;

import io.msb.api.Check;
import java.util.List;
import java.util.Map;

/**
 * TLS interception, microsandbox's {@code TlsConfig} field for field. JSON {@code {"enabled":false,
 * "intercepted_ports":[443],"bypass":[],"verify_upstream":true,"block_quic_on_intercept":true,
 * "upstream_ca_cert":[],"scoped_upstream_ca_cert":[{"pattern","path"}],"scoped_verify_upstream":[{"pattern",
 * "verify"}],"intercept_ca":{"cert_path","key_path"},"cache":{"capacity":1000,"validity_hours":24}}}.
 *
 * @param enabled terminate the guest's TLS on {@code interceptedPorts} with the installation's CA
 * @param interceptedPorts guest-side destination ports intercepted
 * @param bypass hosts never intercepted (exact names or {@code *.suffix}), e.g. for certificate pinning
 * @param verifyUpstream verify the upstream server's certificate (system trust store plus the extra CAs)
 * @param blockQuicOnIntercept refuse UDP to intercepted ports so clients fall back to TCP
 * @param upstreamCaCert extra CA certificates (PEM files on the server) trusted for every upstream
 * @param scopedUpstreamCaCert extra CA certificates trusted only for hosts matching a pattern
 * @param scopedVerifyUpstream per-host-pattern exceptions to {@code verifyUpstream}
 * @param interceptCaCertPath the CA certificate to intercept with instead of the installation's, or null
 * @param interceptCaKeyPath its private key, or null
 * @param cacheCapacity minted leaf certificates kept, 1..100000
 * @param cacheValidityHours how long a minted leaf certificate is valid, 1..8760
 */
public record TlsConfig(boolean enabled, List<Integer> interceptedPorts, List<String> bypass, boolean verifyUpstream,
        boolean blockQuicOnIntercept, List<String> upstreamCaCert, List<Scoped<String>> scopedUpstreamCaCert,
        List<Scoped<Boolean>> scopedVerifyUpstream, String interceptCaCertPath, String interceptCaKeyPath,
        int cacheCapacity, int cacheValidityHours) {
    public static final int MAX_ENTRIES = 256;
    public static final TlsConfig DEFAULT = new TlsConfig(false, List.of(443), List.of(), true, true, List.of(),
            List.of(), List.of(), null, null, 1000, 24);

    /** A setting for hosts matching {@code pattern} (an exact name or {@code *.suffix}). */
    public record Scoped<T>(HostPattern pattern, T value) {
    }

    public TlsConfig {
        interceptedPorts = List.copyOf(Check.maxSize("intercepted_ports", interceptedPorts, MAX_ENTRIES));
        for (int i = 0; i < interceptedPorts.size(); i++) {
            Check.range("intercepted_ports[" + i + "]", interceptedPorts.get(i), 1, 65535);
        }
        bypass = List.copyOf(Check.maxSize("bypass", bypass, MAX_ENTRIES));
        for (int i = 0; i < bypass.size(); i++) {
            pattern("bypass[" + i + "]", bypass.get(i));
        }
        upstreamCaCert = List.copyOf(Check.maxSize("upstream_ca_cert", upstreamCaCert, MAX_ENTRIES));
        for (int i = 0; i < upstreamCaCert.size(); i++) {
            Check.path("upstream_ca_cert[" + i + "]", upstreamCaCert.get(i));
        }
        scopedUpstreamCaCert = List.copyOf(Check.maxSize("scoped_upstream_ca_cert", scopedUpstreamCaCert, MAX_ENTRIES));
        scopedVerifyUpstream = List.copyOf(Check.maxSize("scoped_verify_upstream", scopedVerifyUpstream, MAX_ENTRIES));
        if ((interceptCaCertPath == null) != (interceptCaKeyPath == null)) {
            throw Check.invalid("intercept_ca", "give both cert_path and key_path, or neither");
        }
        Check.range("cache.capacity", cacheCapacity, 1, 100_000);
        Check.range("cache.validity_hours", cacheValidityHours, 1, 8760);
    }

    /** Whether {@code host} is on the bypass list. */
    public boolean bypasses(String host) {
        return bypass.stream().anyMatch(b -> pattern("bypass", b).matches(host));
    }

    /** Whether to verify the upstream certificate of {@code host}: the first matching scoped entry, else the default. */
    public boolean verifies(String host) {
        return scopedVerifyUpstream.stream().filter(s -> s.pattern().matches(host)).map(Scoped::value).findFirst()
                .orElse(verifyUpstream);
    }

    /** Interception on, the rest at microsandbox's defaults. */
    public static TlsConfig intercepting() {
        return DEFAULT.withEnabled(true);
    }

    public TlsConfig withEnabled(boolean on) {
        return new TlsConfig(on, interceptedPorts, bypass, verifyUpstream, blockQuicOnIntercept, upstreamCaCert,
                scopedUpstreamCaCert, scopedVerifyUpstream, interceptCaCertPath, interceptCaKeyPath, cacheCapacity,
                cacheValidityHours);
    }

    static HostPattern pattern(String field, String text) {
        Check.required(field, text);
        return text.startsWith("*.") ? HostPattern.wildcard(text) : HostPattern.exact(text);
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("enabled", enabled, "intercepted_ports", interceptedPorts, "bypass", bypass,
                "verify_upstream", verifyUpstream, "block_quic_on_intercept", blockQuicOnIntercept,
                "upstream_ca_cert", upstreamCaCert,
                "scoped_upstream_ca_cert", scopedUpstreamCaCert.stream().map(s -> Map.of("pattern", text(s.pattern()),
                        "path", s.value())).toList(),
                "scoped_verify_upstream", scopedVerifyUpstream.stream().map(s -> Map.of("pattern", text(s.pattern()),
                        "verify", s.value())).toList(),
                "intercept_ca", interceptCaCertPath == null ? null
                        : Map.of("cert_path", interceptCaCertPath, "key_path", interceptCaKeyPath),
                "cache", Map.of("capacity", cacheCapacity, "validity_hours", cacheValidityHours));
    }

    private static String text(HostPattern p) {
        return p.value();
    }

    static TlsConfig read(Object v, String path) {
        MapReader m = MapReader.of(v, path);
        return m.build(() -> {
            String caKey = m.has("intercept_ca") ? "intercept_ca" : "ca";
            String[] ca = m.object(caKey, (o, p) -> {
                MapReader c = MapReader.of(o, p);
                return c.build(() -> new String[] {c.string("cert_path"), c.string("key_path")});
            });
            int[] cache = m.object("cache", (o, p) -> {
                MapReader c = MapReader.of(o, p);
                return c.build(() -> {
                    Long cap = c.optionalLong("capacity", 1, 100_000);
                    Long hours = c.optionalLong("validity_hours", 1, 8760);
                    return new int[] {cap == null ? 1000 : cap.intValue(), hours == null ? 24 : hours.intValue()};
                });
            });
            List<Integer> ports = m.has("intercepted_ports") ? m.list("intercepted_ports", MAX_ENTRIES, (o, p) -> {
                if (o instanceof Number n && n.longValue() == n.doubleValue() && n.longValue() >= 1 && n.longValue() <= 65535) {
                    return n.intValue();
                }
                throw new MapReader.PathError(p, "must be a port 1..65535, got " + MapReader.describe(o));
            }) : List.of(443);
            return new TlsConfig(m.bool("enabled", false), ports, m.list("bypass", MAX_ENTRIES, TlsConfig::string),
                    m.bool("verify_upstream", true), m.bool("block_quic_on_intercept", true),
                    m.list("upstream_ca_cert", MAX_ENTRIES, TlsConfig::string),
                    m.list("scoped_upstream_ca_cert", MAX_ENTRIES, (o, p) -> {
                        MapReader s = MapReader.of(o, p);
                        return s.build(() -> new Scoped<>(pattern("pattern", s.requiredString("pattern")),
                                Check.path("path", s.requiredString("path"))));
                    }),
                    m.list("scoped_verify_upstream", MAX_ENTRIES, (o, p) -> {
                        MapReader s = MapReader.of(o, p);
                        return s.build(() -> new Scoped<>(pattern("pattern", s.requiredString("pattern")),
                                s.bool("verify", true)));
                    }),
                    ca == null ? null : ca[0], ca == null ? null : ca[1], cache == null ? 1000 : cache[0],
                    cache == null ? 24 : cache[1]);
        });
    }

    private static String string(Object o, String p) {
        if (o instanceof String s) {
            return s;
        }
        throw new MapReader.PathError(p, "must be a string, got " + MapReader.describe(o));
    }
}
