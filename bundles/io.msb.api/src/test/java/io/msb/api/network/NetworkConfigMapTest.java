package io.msb.api.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NetworkConfigMapTest {

    /** A body as microsandbox's SDK and our extensions would send it, every field present. */
    static Map<String, Object> full() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enabled", true);
        m.put("interface", Map.of("mac", List.of(2, 0, 0, 0, 0, 1), "mtu", 1400, "ipv4_address", "172.16.0.2",
                "ipv4_pool", "172.16.0.0/12", "ipv6_address", "fd42:6d73:62::2", "ipv6_pool", "fd42:6d73:62::/48"));
        m.put("ports", List.of(Map.of("host_port", 8080, "guest_port", 80),
                Map.of("host_port", 5353, "guest_port", 53, "protocol", "udp", "host_bind", "0.0.0.0")));
        m.put("policy", Map.of("default_egress", "deny", "default_ingress", "allow", "rules", List.of(
                Map.of("direction", "egress", "destination", Map.of("group", "host"), "protocols", List.of("udp", "tcp"),
                        "ports", List.of(Map.of("start", 53, "end", 53)), "action", "allow"),
                Map.of("direction", "any", "destination", "any", "action", "deny", "protocols", List.of("icmpv4")),
                Map.of("direction", "egress", "destination", Map.of("cidr", "10.0.0.0/8"), "action", "allow"),
                Map.of("direction", "egress", "destination", Map.of("domain", "Example.COM."), "action", "allow"),
                Map.of("direction", "ingress", "destination", Map.of("domain_suffix", ".example.org"), "action", "deny"),
                Map.of("direction", "egress", "destination", Map.of("group", "link-local"), "action", "deny"))));
        m.put("dns", Map.of("rebind_protection", false, "nameservers", List.of("127.0.0.1:5353", "[::1]:53", "dns.local"),
                "query_timeout_ms", 1500));
        m.put("tls", Map.of("enabled", false, "bypass", List.of("pinned.example.com")));
        m.put("secrets", Map.of("secrets", List.of(Map.of("env_var", "API_KEY", "source",
                Map.of("type", "store", "reference", "sandbox/x/API_KEY"), "allowed_hosts", List.of("any")))));
        m.put("max_connections", 100);
        m.put("rate_limiter", Map.of("egress", Map.of("bandwidth", Map.of("size", 1048576, "refill_time_ms", 1000)),
                "ingress", Map.of("ops", Map.of("size", 100, "refill_time_ms", 10, "one_time_burst", 5))));
        m.put("trust_host_cas", true);
        m.put("strict", true);
        return m;
    }

    @Test
    void everyFieldIsReadAndTheMapFormRoundTrips() {
        NetworkConfig c = NetworkConfig.fromMap(full());
        assertEquals(1400, c.iface().mtu());
        assertEquals("02:00:00:00:00:01", c.iface().macText());
        assertEquals(2, c.ports().size());
        assertEquals(PublishedPort.Protocol.TCP, c.ports().get(0).protocol());
        assertEquals("127.0.0.1", c.ports().get(0).hostBind());
        assertEquals("0.0.0.0", c.ports().get(1).hostBind());
        List<Rule> rules = c.policy().rules();
        assertEquals(NetworkPolicy.allowDns(), rules.get(0));
        assertEquals(new Destination.Domain("example.com"), rules.get(3).destination());
        assertEquals(new Destination.DomainSuffix("example.org"), rules.get(4).destination());
        assertEquals(new Destination.InGroup(Group.LINK_LOCAL), rules.get(5).destination());
        assertEquals(1500, c.dns().queryTimeoutMs());
        assertEquals(100, c.maxConnections());
        assertEquals(5, c.rateLimiter().ingress().ops().oneTimeBurst());
        assertNull(c.rateLimiter().egress().ops());
        assertTrue(c.strict());
        assertTrue(c.trustHostCas());
        assertTrue(c.hasSecrets());
        assertTrue(c.tlsEnabled(), "secrets imply interception");
        assertTrue(c.tls().bypasses("PINNED.example.com"));

        Map<String, Object> out = c.toMap();
        assertEquals(List.of("enabled", "interface", "ports", "policy", "dns", "tls", "secrets", "max_connections",
                "rate_limiter", "trust_host_cas", "strict"), new ArrayList<>(out.keySet()));
        assertEquals(Map.of("group", "link_local"),
                ((Map<?, ?>) ((List<?>) ((Map<?, ?>) out.get("policy")).get("rules")).get(5)).get("destination"));
        assertEquals(c, NetworkConfig.fromMap(out));
        assertEquals(out, NetworkConfig.fromMap(out).toMap());
    }

    @Test
    void theSdksMinimalAndDisabledBodiesAreAccepted() {
        NetworkConfig min = NetworkConfig.fromMap(Map.of("enabled", true, "strict", false));
        assertTrue(min.enabled());
        assertNull(min.policy());
        assertEquals(NetworkPolicy.defaults(), min.effectivePolicy());
        assertEquals(256, min.maxConnections());
        assertEquals(DnsConfig.DEFAULT, min.dns());
        assertEquals(min, NetworkConfig.fromMap(min.toMap()));
        assertEquals(NetworkConfig.defaults(), min);

        NetworkConfig off = NetworkConfig.fromMap(Map.of("enabled", false,
                "policy", Map.of("default_egress", "deny", "default_ingress", "deny", "rules", List.of()),
                "secrets", Map.of("entries", List.of(), "on_violation", Map.of("type", "block_and_log")),
                "strict", false));
        assertFalse(off.enabled());
        assertEquals(NetworkPolicy.none(), off.policy());
        assertEquals(off, NetworkConfig.fromMap(off.toMap()));

        NetworkConfig withSecret = NetworkConfig.fromMap(Map.of("secrets",
                Map.of("entries", List.of(Map.of("env_var", "API_KEY", "value", "sk-1", "placeholder", "$MSB_API_KEY",
                        "allowed_hosts", List.of(Map.of("type", "exact", "value", "api.openai.com")))))));
        assertTrue(withSecret.hasSecrets());
    }

    @Test
    void policyDefaultsAreDenyAsMicrosandboxSerde() {
        NetworkPolicy p = NetworkPolicy.fromMap(Map.of());
        assertEquals(NetworkPolicy.none(), p);
    }

    private static String error(Map<String, Object> body) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> NetworkConfig.fromMap(body));
        assertTrue(e.getMessage().startsWith("invalid config: " + e.field() + ": "), e.getMessage());
        return e.getMessage().substring("invalid config: ".length());
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> m = full();
        m.put(key, value);
        return m;
    }

    private static Map<String, Object> withRule(Map<String, Object> rule) {
        return with("policy", Map.of("rules", List.of(Map.of("direction", "egress", "destination", "any",
                "action", "allow"), rule)));
    }

    @Test
    void errorsNameTheFieldPathAndTheRule() {
        assertEquals("network.max_connections: must be in [1, 4096], got 5000", error(with("max_connections", 5000)));
        assertEquals("network.max_connections: must be in [1, 4096], got 0", error(with("max_connections", 0)));
        assertEquals("network.max_connections: must be an integer in [1, 4096], got 2.5",
                error(with("max_connections", new BigDecimal("2.5"))));
        assertEquals("network.max_connections: must be an integer in [1, 4096], got \"10\"", error(with("max_connections", "10")));
        assertEquals("network.enabled: must be true or false, got \"yes\"", error(with("enabled", "yes")));
        assertEquals("network.outbound_proxy: unknown field", error(with("outbound_proxy", Map.of())));
        assertEquals("network.ports[0].host_port: must be in [1, 65535], got 70000",
                error(with("ports", List.of(Map.of("host_port", 70000, "guest_port", 80)))));
        assertEquals("network.ports[0].guest_port: is required", error(with("ports", List.of(Map.of("host_port", 80)))));
        assertEquals("network.ports[0].protocol: must be one of tcp|udp, got \"sctp\"",
                error(with("ports", List.of(Map.of("host_port", 80, "guest_port", 80, "protocol", "sctp")))));
        assertEquals("network.ports[0].protocol: must be one of tcp|udp, got \"icmpv4\"",
                error(with("ports", List.of(Map.of("host_port", 80, "guest_port", 80, "protocol", "icmpv4")))));
        assertEquals("network.ports[0].host_bind: must be an IP address, got \"localhost\"",
                error(with("ports", List.of(Map.of("host_port", 80, "guest_port", 80, "host_bind", "localhost")))));
        assertEquals("network.ports[1]: publishes 127.0.0.1:80/tcp again (ports[0])", error(with("ports",
                List.of(Map.of("host_port", 80, "guest_port", 80), Map.of("host_port", 80, "guest_port", 81)))));
        assertEquals("network.policy.default_egress: must be one of allow|deny, got \"block\"",
                error(with("policy", Map.of("default_egress", "block"))));
        assertEquals("network.policy.rules[1].direction: must be one of egress|ingress|any, got \"out\"",
                error(withRule(Map.of("direction", "out", "destination", "any", "action", "allow"))));
        assertEquals("network.policy.rules[1].destination: is required",
                error(withRule(Map.of("direction", "egress", "action", "allow"))));
        assertEquals("network.policy.rules[1].destination.cidr: host bits must be zero: 10.0.0.1/8",
                error(withRule(Map.of("direction", "egress", "destination", Map.of("cidr", "10.0.0.1/8"), "action", "allow"))));
        assertEquals("network.policy.rules[1].destination.cidr: must be an IP address or block like 10.0.0.0/8, got \"example.com/8\"",
                error(withRule(Map.of("direction", "egress", "destination", Map.of("cidr", "example.com/8"), "action", "allow"))));
        assertEquals("network.policy.rules[1].destination.cidr: prefix must be in [0, 32], got 33",
                error(withRule(Map.of("direction", "egress", "destination", Map.of("cidr", "10.0.0.0/33"), "action", "allow"))));
        assertEquals("network.policy.rules[1].destination.group: must be one of public|loopback|private|link_local|"
                + "metadata|multicast|host, got \"lan\"",
                error(withRule(Map.of("direction", "egress", "destination", Map.of("group", "lan"), "action", "allow"))));
        assertTrue(error(withRule(Map.of("direction", "egress", "destination", Map.of("domain", "bad name.com"),
                "action", "allow"))).startsWith("network.policy.rules[1].destination.domain: must be a DNS name"));
        assertTrue(error(withRule(Map.of("direction", "egress", "destination", Map.of("cidr", "1.0.0.0/8", "domain", "x"),
                "action", "allow"))).startsWith("network.policy.rules[1].destination: must be \"any\" or an object"));
        assertEquals("network.policy.rules[1].ports[0].start: must not be greater than end (90 > 80)",
                error(withRule(Map.of("direction", "egress", "destination", "any", "action", "allow",
                        "ports", List.of(Map.of("start", 90, "end", 80))))));
        assertEquals("network.policy.rules[1].protocols[0]: must be one of tcp|udp|icmpv4|icmpv6, got \"icmp\"",
                error(withRule(Map.of("direction", "egress", "destination", "any", "action", "allow",
                        "protocols", List.of("icmp")))));
        assertEquals("network.policy.rules[1].actions: unknown field",
                error(withRule(Map.of("direction", "egress", "destination", "any", "action", "allow", "actions", "x"))));
        assertEquals("network.policy.rules: has 1025 entries (max 1024)", error(with("policy",
                Map.of("rules", Collections.nCopies(1025, Map.of("direction", "egress", "destination", "any", "action", "allow"))))));
        assertEquals("network.dns.nameservers[0]: must be IP, IP:PORT, [IPv6]:PORT, HOST or HOST:PORT, got \"1.2.3.4:99999\"",
                error(with("dns", Map.of("nameservers", List.of("1.2.3.4:99999")))));
        assertEquals("network.dns.query_timeout_ms: must be in [1, 60000], got 0", error(with("dns", Map.of("query_timeout_ms", 0))));
        assertEquals("network.rate_limiter.egress.bandwidth: a rate limiter needs bandwidth or ops (or both)",
                error(with("rate_limiter", Map.of("egress", Map.of()))));
        assertEquals("network.rate_limiter.egress.ops.refill_time_ms: must be in [1, 9223372036854775807], got 0",
                error(with("rate_limiter", Map.of("egress", Map.of("ops", Map.of("size", 1, "refill_time_ms", 0))))));
        assertEquals("network.rate_limiter.ingress.bandwidth.size: is required",
                error(with("rate_limiter", Map.of("ingress", Map.of("bandwidth", Map.of("refill_time_ms", 1))))));
        assertEquals("network.interface.mac: has 7 entries (max 6)",
                error(with("interface", Map.of("mac", List.of(2, 0, 0, 0, 0, 0, 0)))));
        assertEquals("network.interface.mac: must have 6 bytes, got 5",
                error(with("interface", Map.of("mac", List.of(2, 0, 0, 0, 0)))));
        assertEquals("network.interface.mac[0]: must be a byte 0..255, got 256",
                error(with("interface", Map.of("mac", List.of(256, 0, 0, 0, 0, 0)))));
        assertEquals("network.interface.ipv4_address: must be an IPv4 address, got \"fd00::1\"",
                error(with("interface", Map.of("ipv4_address", "fd00::1"))));
        assertEquals("network.interface.ipv6_pool: must be an IPv6 block, got 10.0.0.0/8",
                error(with("interface", Map.of("ipv6_pool", "10.0.0.0/8"))));
        Map<String, Object> nonStringKey = new HashMap<>();
        nonStringKey.put("tls", Map.of(1, 2));
        assertEquals("network.tls: keys must be strings", error(nonStringKey));
    }

    @Test
    void javaConstructorsValidateToo() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> new NetworkConfig(true, null, List.of(), null, null, null, null, 4097, null, false, false));
        assertEquals("max_connections", e.field());
        assertEquals("invalid config: max_connections: must be in [1, 4096], got 4097", e.getMessage());
        assertThrows(InvalidConfigException.class, () -> new PortRange(-1, 5));
        assertThrows(InvalidConfigException.class, () -> new RateLimit(0, 1, 0));
        assertEquals("profile", assertThrows(InvalidConfigException.class, () -> NetworkPolicy.profile("lan")).field());
    }
}
