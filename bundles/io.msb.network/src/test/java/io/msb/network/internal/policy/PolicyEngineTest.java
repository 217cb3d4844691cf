package io.msb.network.internal.policy;

import static io.msb.network.internal.policy.GroupsTest.addr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Direction;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Rule;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.dns.Upstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The engine's decisions, at the policy level only: no packet is sent anywhere. */
class PolicyEngineTest {
    static final InetAddress GW = GroupsTest.GATEWAY;
    static final InetAddress PUBLIC = addr("93.184.216.34");
    static final InetAddress PRIVATE = addr("10.1.2.3");
    static final InetAddress METADATA = addr("169.254.169.254");
    static final InetAddress LINK = addr("169.254.1.1");
    static final InetAddress LOOP = addr("127.0.0.1");
    static final InetAddress MCAST = addr("224.0.0.251");

    /** Never contacted: these tests make no DNS query. */
    static final Upstream UNUSED = new Upstream(List.of(new InetSocketAddress(LOOP, 9)), Duration.ofMillis(1));

    static SandboxPolicy policy(NetworkPolicy p, AtomicLong clock) {
        return SandboxPolicy.compile(NetworkConfig.defaults().withPolicy(p), List.of(GW), UNUSED, clock::get);
    }

    static SandboxPolicy policy(NetworkPolicy p) {
        return policy(p, new AtomicLong());
    }

    static PolicyEngine engine(Rule... rules) {
        return new PolicyEngine(new NetworkPolicy(Action.DENY, Action.DENY, List.of(rules)), Set.of(GW));
    }

    static Action egress(PolicyEngine e, Protocol p, InetAddress a, int port) {
        return e.decide(Direction.EGRESS, p, a, port, x -> List.of());
    }

    @Test
    void theDefaultPublicProfile() {
        SandboxPolicy p = SandboxPolicy.compile(NetworkConfig.defaults(), List.of(GW), UNUSED, () -> 0);
        assertTrue(p.allowEgress(Protocol.UDP, GW, 53), "DNS to the gateway");
        assertTrue(p.allowEgress(Protocol.TCP, GW, 53), "DNS over TCP to the gateway");
        assertFalse(p.allowEgress(Protocol.TCP, GW, 80), "other host ports");
        assertFalse(p.allowEgress(Protocol.ICMP, GW, 0), "ICMP skips the DNS rule (it has ports)");
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertTrue(p.allowEgress(Protocol.UDP, PUBLIC, 123));
        assertTrue(p.allowEgress(Protocol.ICMP, PUBLIC, 0));
        assertTrue(p.allowEgress(Protocol.TCP, addr("2001:4860:4860::8888"), 443));
        for (InetAddress denied : List.of(PRIVATE, METADATA, LINK, LOOP, MCAST, addr("::1"), addr("fd00::1"),
                addr("0.0.0.0"), addr("172.16.0.5"))) {
            assertFalse(p.allowEgress(Protocol.TCP, denied, 80), denied.toString());
            assertFalse(p.allowEgress(Protocol.UDP, denied, 53), "DNS is allowed to the host only: " + denied);
        }
        assertTrue(p.allowIngress(Protocol.TCP, LOOP, 8080), "ingress defaults to allow");
        assertEquals(20, p.denials());
    }

    @Test
    void namedProfiles() {
        SandboxPolicy priv = policy(NetworkPolicy.profile("private"));
        assertTrue(priv.allowEgress(Protocol.TCP, PRIVATE, 5432));
        assertTrue(priv.allowEgress(Protocol.UDP, GW, 53));
        assertFalse(priv.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertFalse(priv.allowEgress(Protocol.TCP, METADATA, 80));
        SandboxPolicy host = policy(NetworkPolicy.profile("host"));
        assertTrue(host.allowEgress(Protocol.TCP, GW, 8080));
        assertFalse(host.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertFalse(host.allowEgress(Protocol.TCP, LOOP, 8080), "host means the gateway, not the guest's loopback");
        SandboxPolicy none = policy(NetworkPolicy.profile("none"));
        assertFalse(none.allowEgress(Protocol.UDP, GW, 53));
        assertFalse(none.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertFalse(none.allowIngress(Protocol.TCP, LOOP, 80));
        SandboxPolicy all = policy(NetworkPolicy.profile("all"));
        for (InetAddress a : List.of(PUBLIC, PRIVATE, METADATA, LOOP, GW)) {
            assertTrue(all.allowEgress(Protocol.TCP, a, 80), a.toString());
        }
        assertTrue(all.allowIngress(Protocol.UDP, PUBLIC, 53));
    }

    @Test
    void everyRuleForm() {
        PolicyEngine any = engine(Rule.egress(Destination.any(), Action.ALLOW));
        assertEquals(Action.ALLOW, egress(any, Protocol.TCP, METADATA, 80));
        PolicyEngine cidr = engine(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW));
        assertEquals(Action.ALLOW, egress(cidr, Protocol.TCP, PRIVATE, 1));
        assertEquals(Action.DENY, egress(cidr, Protocol.TCP, addr("11.0.0.1"), 1));
        PolicyEngine v6 = engine(Rule.egress(Destination.cidr("2001:db8::/32"), Action.ALLOW));
        assertEquals(Action.ALLOW, egress(v6, Protocol.TCP, addr("2001:db8::1"), 1));
        assertEquals(Action.DENY, egress(v6, Protocol.TCP, addr("2001:db9::1"), 1));
        for (Group g : Group.values()) {
            PolicyEngine e = engine(Rule.egress(Destination.group(g), Action.ALLOW));
            Map<Group, InetAddress> sample = Map.of(Group.PUBLIC, PUBLIC, Group.PRIVATE, PRIVATE, Group.METADATA,
                    METADATA, Group.LINK_LOCAL, LINK, Group.LOOPBACK, LOOP, Group.MULTICAST, MCAST, Group.HOST, GW);
            for (Map.Entry<Group, InetAddress> s : sample.entrySet()) {
                assertEquals(s.getKey() == g ? Action.ALLOW : Action.DENY, egress(e, Protocol.TCP, s.getValue(), 80),
                        g + " vs " + s.getKey());
            }
        }
        PolicyEngine ports = engine(Rule.egress(Destination.any(), Action.ALLOW)
                .ports(new PortRange(80, 80), new PortRange(8000, 8999)));
        assertEquals(Action.ALLOW, egress(ports, Protocol.TCP, PUBLIC, 80));
        assertEquals(Action.ALLOW, egress(ports, Protocol.UDP, PUBLIC, 8999));
        assertEquals(Action.DENY, egress(ports, Protocol.TCP, PUBLIC, 81));
        assertEquals(Action.DENY, egress(ports, Protocol.TCP, PUBLIC, 9000));
        assertEquals(Action.DENY, egress(ports, Protocol.ICMP, PUBLIC, 80), "ICMP skips rules with ports");
        PolicyEngine protocols = engine(Rule.egress(Destination.any(), Action.ALLOW)
                .protocols(io.msb.api.network.Protocol.UDP, io.msb.api.network.Protocol.ICMPV6));
        assertEquals(Action.ALLOW, egress(protocols, Protocol.UDP, PUBLIC, 1));
        assertEquals(Action.DENY, egress(protocols, Protocol.TCP, PUBLIC, 1));
        assertEquals(Action.DENY, egress(protocols, Protocol.ICMP, PUBLIC, 0), "IPv4 ICMP is icmpv4");
        assertEquals(Action.ALLOW, egress(protocols, Protocol.ICMP, addr("2001:db8::1"), 0));
        PolicyEngine icmp4 = engine(Rule.egress(Destination.any(), Action.ALLOW).protocols(io.msb.api.network.Protocol.ICMPV4));
        assertEquals(Action.ALLOW, egress(icmp4, Protocol.ICMP, PUBLIC, 0));
    }

    @Test
    void directions() {
        PolicyEngine in = engine(Rule.ingress(Destination.cidr("127.0.0.0/8"), Action.ALLOW));
        assertEquals(Action.ALLOW, in.decide(Direction.INGRESS, Protocol.TCP, LOOP, 80, x -> List.of()));
        assertEquals(Action.DENY, in.decide(Direction.INGRESS, Protocol.TCP, PUBLIC, 80, x -> List.of()));
        assertEquals(Action.DENY, egress(in, Protocol.TCP, LOOP, 80), "an ingress rule never decides egress");
        PolicyEngine both = engine(new Rule(Direction.ANY, Destination.any(), List.of(), List.of(PortRange.of(22)),
                Action.ALLOW));
        assertEquals(Action.ALLOW, both.decide(Direction.INGRESS, Protocol.TCP, PUBLIC, 22, x -> List.of()));
        assertEquals(Action.ALLOW, egress(both, Protocol.TCP, PUBLIC, 22));
        assertEquals(Action.DENY, egress(both, Protocol.TCP, PUBLIC, 23));
        PolicyEngine defaults = new PolicyEngine(new NetworkPolicy(Action.ALLOW, Action.DENY), Set.of(GW));
        assertEquals(Action.ALLOW, egress(defaults, Protocol.TCP, METADATA, 80), "allow-all default reaches every group");
        assertEquals(Action.DENY, defaults.decide(Direction.INGRESS, Protocol.TCP, PUBLIC, 80, x -> List.of()));
    }

    @Test
    void firstMatchWinsAndMetadataIsNotLinkLocal() {
        PolicyEngine denyFirst = engine(Rule.egress(Destination.cidr("10.1.0.0/16"), Action.DENY),
                Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW));
        assertEquals(Action.DENY, egress(denyFirst, Protocol.TCP, PRIVATE, 80));
        assertEquals(Action.ALLOW, egress(denyFirst, Protocol.TCP, addr("10.2.0.1"), 80));
        PolicyEngine allowFirst = engine(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW),
                Rule.egress(Destination.cidr("10.1.0.0/16"), Action.DENY));
        assertEquals(Action.ALLOW, egress(allowFirst, Protocol.TCP, PRIVATE, 80));
        PolicyEngine link = engine(Rule.egress(Destination.group(Group.LINK_LOCAL), Action.ALLOW));
        assertEquals(Action.ALLOW, egress(link, Protocol.TCP, LINK, 80));
        assertEquals(Action.DENY, egress(link, Protocol.TCP, METADATA, 80), "metadata takes precedence over link_local");
        PolicyEngine meta = new PolicyEngine(new NetworkPolicy(Action.ALLOW, Action.ALLOW,
                List.of(Rule.egress(Destination.group(Group.METADATA), Action.DENY))), Set.of(GW));
        assertEquals(Action.DENY, egress(meta, Protocol.TCP, METADATA, 80));
        assertEquals(Action.DENY, egress(meta, Protocol.TCP, addr("64:ff9b::a9fe:a9fe"), 80), "NAT64 spelling");
        assertEquals(Action.ALLOW, egress(meta, Protocol.TCP, LINK, 80));
    }

    @Test
    void domainRulesMatchOnlyPinnedAddressesAndPinsExpire() {
        AtomicLong clock = new AtomicLong(1_000_000);
        SandboxPolicy p = policy(new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                Rule.egress(Destination.domainSuffix("example.com"), Action.ALLOW),
                Rule.egress(Destination.domain("deny.test"), Action.DENY),
                Rule.egress(Destination.any(), Action.ALLOW).ports(PortRange.of(8443)))), clock);
        DnsDriver dns = new DnsDriver(p);
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443), "not resolved through our DNS");
        dns.pin(PUBLIC, "api.example.com", 5);
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertTrue(p.allowEgress(Protocol.TCP, mappedOrSame(PUBLIC), 443), "an IPv4-mapped spelling finds the pin");
        assertFalse(p.allowEgress(Protocol.TCP, addr("93.184.216.35"), 443), "only the pinned address");
        clock.addAndGet(SandboxPolicy.PIN_FLOOR_MILLIS - 1);
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443), "a 5 s TTL lives the floor");
        clock.addAndGet(1);
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443), "expired");
        dns.pin(PUBLIC, "api.example.com", 3600);
        clock.addAndGet(3_599_000);
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443), "a long TTL lives its TTL");
        clock.addAndGet(1000);
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443));
        dns.pin(PRIVATE, "deny.test", 60);
        assertFalse(p.allowEgress(Protocol.TCP, PRIVATE, 8443), "first match: the domain deny comes before any:8443");
        assertTrue(p.allowEgress(Protocol.TCP, addr("10.9.9.9"), 8443));
    }

    @Test
    void pinsAreBounded() {
        DnsPins pins = new DnsPins(3, 1000, () -> 0);
        for (int i = 1; i <= 5; i++) {
            pins.pin(addr("93.184.216." + i), "n" + i + ".test", 60);
        }
        assertEquals(3, pins.size());
        assertEquals(List.of(), pins.names(addr("93.184.216.1")), "the eldest went first");
        assertEquals(List.of("n5.test"), pins.names(addr("93.184.216.5")));
        for (int i = 0; i < 40; i++) {
            pins.pin(PUBLIC, "name" + i + ".test", 60);
        }
        assertEquals(DnsPins.MAX_NAMES_PER_ADDRESS, pins.names(PUBLIC).size());
    }

    @Test
    void queriesAreCheckedAsMicrosandboxDoes() {
        PolicyEngine e = engine(Rule.egress(Destination.domain("ok.test"), Action.ALLOW),
                Rule.egress(Destination.domainSuffix("bad.test"), Action.DENY),
                Rule.egress(Destination.cidr("0.0.0.0/0"), Action.ALLOW),
                Rule.egress(Destination.group(Group.PUBLIC), Action.ALLOW));
        assertEquals(Action.ALLOW, e.query("ok.test", Protocol.UDP));
        assertEquals(Action.DENY, e.query("x.bad.test", Protocol.UDP));
        assertEquals(Action.DENY, e.query("other.test", Protocol.UDP), "cidr and public never match a query");
        PolicyEngine dnsOnly = new PolicyEngine(NetworkPolicy.defaults(), Set.of(GW));
        assertEquals(Action.ALLOW, dnsOnly.query("anything.test", Protocol.TCP), "group host on 53 allows every name");
        PolicyEngine udpOnly = engine(Rule.egress(Destination.any(), Action.ALLOW).protocols(io.msb.api.network.Protocol.UDP)
                .ports(PortRange.of(53)));
        assertEquals(Action.ALLOW, udpOnly.query("a.test", Protocol.UDP));
        assertEquals(Action.DENY, udpOnly.query("a.test", Protocol.TCP));
        PolicyEngine wrongPort = engine(Rule.egress(Destination.group(Group.HOST), Action.ALLOW).ports(PortRange.of(80)));
        assertEquals(Action.DENY, wrongPort.query("a.test", Protocol.UDP));
    }

    @Test
    void liveUpdateAppliesToNewDecisions() {
        SandboxPolicy p = policy(NetworkPolicy.defaults());
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertFalse(p.allowEgress(Protocol.TCP, PRIVATE, 5432));
        p.update(NetworkPolicy.defaults().withRulesFirst(List.of(
                Rule.egress(Destination.cidr("93.184.216.0/24"), Action.DENY),
                Rule.egress(Destination.cidr("10.1.2.3"), Action.ALLOW).ports(PortRange.of(5432)))));
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443));
        assertTrue(p.allowEgress(Protocol.TCP, PRIVATE, 5432));
        assertTrue(p.allowEgress(Protocol.UDP, GW, 53));
        assertEquals(4, p.policy().rules().size());
    }

    @Test
    void rebindingProtectionNeedsAnExplicitAddressRule() {
        PolicyEngine allowAll = new PolicyEngine(NetworkPolicy.allowAll(), Set.of(GW));
        assertFalse(allowAll.explicitlyAllows(PRIVATE), "allow by default does not disable it");
        PolicyEngine any = engine(Rule.egress(Destination.any(), Action.ALLOW));
        assertFalse(any.explicitlyAllows(PRIVATE));
        PolicyEngine cidr = engine(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW));
        assertTrue(cidr.explicitlyAllows(PRIVATE));
        assertFalse(cidr.explicitlyAllows(addr("192.168.1.1")));
        PolicyEngine group = engine(Rule.egress(Destination.group(Group.PRIVATE), Action.ALLOW));
        assertTrue(group.explicitlyAllows(addr("192.168.1.1")));
        assertFalse(group.explicitlyAllows(METADATA));
        PolicyEngine denied = engine(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.DENY));
        assertFalse(denied.explicitlyAllows(PRIVATE));
    }

    @Test
    void aDnsConfigWithoutNameserversUsesTheHostsResolverConfiguration() {
        Upstream u = Upstream.of(DnsConfig.DEFAULT);
        assertFalse(u.servers().isEmpty(), "servers from /etc/resolv.conf (nothing is sent to them here)");
    }

    static InetAddress mappedOrSame(InetAddress v4) {
        try {
            return GroupsTest.mapped(v4.getHostAddress());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Pins as the DNS handler does after an allowed answer. */
    record DnsDriver(SandboxPolicy policy) {
        void pin(InetAddress a, String name, long ttl) {
            policy.pin(a, name, ttl);
        }
    }
}
