package io.msb.api.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command-line forms of msb run and msb:run, and their errors naming the option. */
class NetworkOptionsTest {

    private static InvalidConfigException rejected(NetworkOptions o) {
        return assertThrows(InvalidConfigException.class, o::toConfig);
    }

    @Test
    void publishedPorts() {
        assertEquals(PublishedPort.tcp(8080, 80), NetworkOptions.publishedPort("8080:80"));
        assertEquals(new PublishedPort(5353, 53, PublishedPort.Protocol.UDP, null), NetworkOptions.publishedPort("5353:53/udp"));
        assertEquals(new PublishedPort(8080, 80, PublishedPort.Protocol.TCP, "0.0.0.0"),
                NetworkOptions.publishedPort("0.0.0.0:8080:80/tcp"));
        assertEquals(new PublishedPort(8080, 80, null, "::1"), NetworkOptions.publishedPort("[::1]:8080:80"));
        for (String bad : List.of("80", "a:80", "0:80", "8080:70000", "8080:80/sctp", "host:8080:80", ":80")) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> NetworkOptions.publishedPort(bad));
            assertEquals("-p", e.field(), bad);
            assertTrue(e.getMessage().startsWith("invalid config: -p: ") && e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void destinations() {
        assertEquals(Destination.group(Group.HOST), NetworkOptions.destination("host"));
        assertEquals(Destination.group(Group.LINK_LOCAL), NetworkOptions.destination("link-local"));
        assertEquals(Destination.any(), NetworkOptions.destination("any"));
        assertEquals(Destination.cidr("10.0.0.0/8"), NetworkOptions.destination("10.0.0.0/8"));
        assertEquals(Destination.cidr("1.2.3.4/32"), NetworkOptions.destination("1.2.3.4"));
        assertEquals(Destination.domainSuffix("pypi.org"), NetworkOptions.destination("*.pypi.org"));
        assertEquals(Destination.domainSuffix("pypi.org"), NetworkOptions.destination(".pypi.org"));
        assertEquals(Destination.domain("example.com"), NetworkOptions.destination("Example.COM"));
    }

    @Test
    void rulesWithPorts() {
        assertEquals(Rule.egress(Destination.group(Group.HOST), Action.ALLOW).ports(PortRange.of(8080)),
                NetworkOptions.rule("--net-allow", "host:8080", Action.ALLOW));
        assertEquals(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.DENY).ports(new PortRange(1, 1024)),
                NetworkOptions.rule("--net-deny", "10.0.0.0/8:1-1024", Action.DENY));
        assertEquals(Rule.egress(Destination.cidr("fd00::/8"), Action.ALLOW),
                NetworkOptions.rule("--net-allow", "fd00::/8", Action.ALLOW));
        assertEquals(Rule.egress(Destination.cidr("fd00::/8"), Action.ALLOW).ports(PortRange.of(443)),
                NetworkOptions.rule("--net-allow", "[fd00::]/8:443", Action.ALLOW));
        for (String bad : List.of("host:0", "host:9-1", "host:x", "10.0.0.1/40", "bad_name!", "[fd00::")) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class,
                    () -> NetworkOptions.rule("--net-allow", bad, Action.ALLOW));
            assertEquals("--net-allow", e.field(), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void theWholeConfiguration() {
        NetworkConfig n = new NetworkOptions(false, "private", List.of("host:8080"), List.of("10.0.0.0/8"),
                List.of("8080:80"), List.of("127.0.0.1:5353")).toConfig();
        assertTrue(n.enabled());
        NetworkPolicy p = n.policy();
        assertEquals(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.DENY), p.rules().get(0), "denials first");
        assertEquals(Rule.egress(Destination.group(Group.HOST), Action.ALLOW).ports(PortRange.of(8080)), p.rules().get(1));
        assertEquals(NetworkPolicy.profile("private").rules(), p.rules().subList(2, p.rules().size()));
        assertEquals(List.of(PublishedPort.tcp(8080, 80)), n.ports());
        assertEquals(List.of("127.0.0.1:5353"), n.dns().nameservers());

        assertEquals(NetworkPolicy.defaults(), new NetworkOptions(false, null, null, null, null, null).toConfig().policy());
        assertEquals(NetworkPolicy.none(), new NetworkOptions(false, "none", null, null, null, null).toConfig().policy());
        assertEquals(NetworkConfig.disabled(), new NetworkOptions(true, null, null, null, null, null).toConfig());
    }

    @Test
    void errorsNameTheOption() {
        assertEquals("--no-net", rejected(new NetworkOptions(true, null, null, null, List.of("80:80"), null)).field());
        InvalidConfigException profile = rejected(new NetworkOptions(false, "open", null, null, null, null));
        assertEquals("--net-profile", profile.field());
        assertEquals("invalid config: --net-profile: must be one of public|private|host|none|all, got \"open\"",
                profile.getMessage());
        assertEquals("--dns", rejected(new NetworkOptions(false, null, null, null, null, List.of("1.2.3.4:99999"))).field());
    }
}
