package io.msb.api.network;

import io.msb.api.Check;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sandbox's network, microsandbox's {@code NetworkConfig} field for field; JSON
 * {@code {"enabled":true,"interface":…,"ports":[…],"policy":…,"dns":…,"tls":…,"secrets":…,"max_connections":256,
 * "rate_limiter":…,"trust_host_cas":false,"strict":false}}.
 *
 * @param enabled false = no network interface at all
 * @param iface guest interface overrides, or null
 * @param ports published ports
 * @param policy the policy, or null for {@link NetworkPolicy#defaults()} (the public profile)
 * @param dns DNS interception settings
 * @param tls TLS interception settings ({@link TlsConfig#DEFAULT} when null)
 * @param secrets secrets the guest may use but not read ({@link SecretsConfig#NONE} when null); TLS interception
 *        is on whenever there are secrets, as in microsandbox
 * @param maxConnections open flows allowed at once, 1..4096 (microsandbox's default 256)
 * @param rateLimiter bandwidth and ops limits; null means {@link RateLimiter#UNLIMITED}
 * @param trustHostCas give the guest the host's CA certificates
 * @param strict hostname-based allows need an inspectable authority (TLS SNI, HTTP Host or CONNECT target): a TCP
 *        flow allowed only through a domain rule opens only once that authority names an allowed host
 */
public record NetworkConfig(boolean enabled, InterfaceConfig iface, List<PublishedPort> ports, NetworkPolicy policy,
        DnsConfig dns, TlsConfig tls, SecretsConfig secrets, int maxConnections, RateLimiter rateLimiter,
        boolean trustHostCas, boolean strict) {
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final int MAX_CONNECTIONS_LIMIT = 4096;
    public static final int MAX_PORTS = 256;

    public NetworkConfig {
        ports = List.copyOf(ports);
        dns = dns == null ? DnsConfig.DEFAULT : dns;
        tls = tls == null ? TlsConfig.DEFAULT : tls;
        secrets = secrets == null ? SecretsConfig.NONE : secrets;
        if (ports.size() > MAX_PORTS) {
            throw Check.invalid("ports", "has " + ports.size() + " entries (max " + MAX_PORTS + ")");
        }
        for (int i = 0; i < ports.size(); i++) {
            PublishedPort p = Objects.requireNonNull(ports.get(i), "ports");
            for (int j = 0; j < i; j++) {
                PublishedPort q = ports.get(j);
                if (p.hostPort() == q.hostPort() && p.protocol() == q.protocol() && p.hostBind().equals(q.hostBind())) {
                    throw Check.invalid("ports[" + i + "]", "publishes " + p.hostBind() + ":"
                            + p.hostPort() + "/" + p.protocol().wire() + " again (ports[" + j + "])");
                }
            }
        }
        rateLimiter = rateLimiter == null ? RateLimiter.UNLIMITED : rateLimiter;
        Check.range("max_connections", maxConnections, 1, MAX_CONNECTIONS_LIMIT);
    }

    /** The fields the stack reads; the others take their defaults. */
    public NetworkConfig(boolean enabled, List<PublishedPort> ports, NetworkPolicy policy, int maxConnections,
            RateLimiter rateLimiter) {
        this(enabled, null, ports, policy, null, null, null, maxConnections, rateLimiter, false, false);
    }

    /** Networking on, the public profile, no published ports: what a sandbox gets when nothing is said. */
    public static NetworkConfig defaults() {
        return new NetworkConfig(true, null, List.of(), null, null, null, null, DEFAULT_MAX_CONNECTIONS, null, false, false);
    }

    /** No network interface. */
    public static NetworkConfig disabled() {
        return new NetworkConfig(false, null, List.of(), null, null, null, null, DEFAULT_MAX_CONNECTIONS, null, false, false);
    }

    /** The same configuration with another policy. */
    public NetworkConfig withPolicy(NetworkPolicy p) {
        return new NetworkConfig(enabled, iface, ports, p, dns, tls, secrets, maxConnections, rateLimiter,
                trustHostCas, strict);
    }

    /** The policy in force: the given one, or the public profile. */
    public NetworkPolicy effectivePolicy() {
        return policy == null ? NetworkPolicy.defaults() : policy;
    }

    /** Whether any secret entry is configured. */
    public boolean hasSecrets() {
        return !secrets.isEmpty();
    }

    /** Whether TLS is intercepted: asked for, or implied by secrets. */
    public boolean tlsEnabled() {
        return tls.enabled() || hasSecrets();
    }

    /** The same configuration with other secrets (the runtime moves inline values into its store with this). */
    public NetworkConfig withSecrets(SecretsConfig s) {
        return new NetworkConfig(enabled, iface, ports, policy, dns, tls, s, maxConnections, rateLimiter,
                trustHostCas, strict);
    }

    /** The same configuration with other TLS interception settings. */
    public NetworkConfig withTls(TlsConfig t) {
        return new NetworkConfig(enabled, iface, ports, policy, dns, t, secrets, maxConnections, rateLimiter,
                trustHostCas, strict);
    }

    /** The same configuration, strict or not (hostname-based allows need an inspectable authority). */
    public NetworkConfig withStrict(boolean on) {
        return new NetworkConfig(enabled, iface, ports, policy, dns, tls, secrets, maxConnections, rateLimiter,
                trustHostCas, on);
    }

    /** The JSON form with microsandbox's field names; absent optional fields are left out; secret values never. */
    public Map<String, Object> toMap() {
        return toMap(false);
    }

    /** {@link #toMap()}, with secret values for a client that sends the configuration to a server. */
    public Map<String, Object> toMap(boolean includeSecretValues) {
        return MapReader.ordered("enabled", enabled, "interface", iface == null ? null : iface.toMap(),
                "ports", ports.stream().map(PublishedPort::toMap).toList(),
                "policy", policy == null ? null : policy.toMap(), "dns", dns.toMap(),
                "tls", tls.equals(TlsConfig.DEFAULT) ? null : tls.toMap(),
                "secrets", secrets.isEmpty() ? null : secrets.toMap(includeSecretValues), "max_connections", maxConnections,
                "rate_limiter", rateLimiter.equals(RateLimiter.UNLIMITED) ? null : rateLimiter.toMap(),
                "trust_host_cas", trustHostCas, "strict", strict);
    }

    /** Reads the JSON form (as a Map); errors name the field under {@code network}, e.g. {@code network.ports[0].host_port}. */
    public static NetworkConfig fromMap(Map<String, ?> map) {
        return read(map, "network");
    }

    static NetworkConfig read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> {
            Long max = m.optionalLong("max_connections", 1, MAX_CONNECTIONS_LIMIT);
            return new NetworkConfig(m.bool("enabled", true), m.object("interface", InterfaceConfig::read),
                    m.list("ports", MAX_PORTS, PublishedPort::read), m.object("policy", NetworkPolicy::read),
                    m.object("dns", DnsConfig::read), m.object("tls", TlsConfig::read),
                    m.object("secrets", SecretsConfig::read),
                    max == null ? DEFAULT_MAX_CONNECTIONS : max.intValue(), m.object("rate_limiter", RateLimiter::read),
                    m.bool("trust_host_cas", false), m.bool("strict", false));
        });
    }
}
