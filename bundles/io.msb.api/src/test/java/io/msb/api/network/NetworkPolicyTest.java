package io.msb.api.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkPolicyTest {

    @Test
    void profilesAreMicrosandboxs() {
        NetworkPolicy pub = NetworkPolicy.defaults();
        assertEquals(Action.DENY, pub.defaultEgress());
        assertEquals(Action.ALLOW, pub.defaultIngress());
        assertEquals(List.of(NetworkPolicy.allowDns(), Rule.egress(Destination.group(Group.PUBLIC), Action.ALLOW)),
                pub.rules());
        assertEquals(new Rule(Direction.EGRESS, new Destination.InGroup(Group.HOST), List.of(Protocol.UDP, Protocol.TCP),
                List.of(new PortRange(53, 53)), Action.ALLOW), NetworkPolicy.allowDns());
        assertEquals(pub, NetworkPolicy.profile("public"));
        assertEquals(Group.PRIVATE, ((Destination.InGroup) NetworkPolicy.profile("private").rules().get(1).destination()).group());
        assertEquals(Group.HOST, ((Destination.InGroup) NetworkPolicy.profile("host").rules().get(1).destination()).group());
        assertEquals(new NetworkPolicy(Action.DENY, Action.DENY, List.of()), NetworkPolicy.profile("none"));
        assertEquals(new NetworkPolicy(Action.ALLOW, Action.ALLOW, List.of()), NetworkPolicy.profile("all"));
        // fixed order public, private, host; one DNS rule; duplicates ignored
        NetworkPolicy several = NetworkPolicy.fromProfiles(List.of(NetworkProfile.HOST, NetworkProfile.PUBLIC,
                NetworkProfile.HOST));
        assertEquals(3, several.rules().size());
        assertEquals(Group.PUBLIC, ((Destination.InGroup) several.rules().get(1).destination()).group());
        assertEquals(Group.HOST, ((Destination.InGroup) several.rules().get(2).destination()).group());
        assertTrue(NetworkPolicy.fromProfiles(List.of()).rules().isEmpty());
    }

    @Test
    void cidrParsingAndMembership() throws Exception {
        Destination.Cidr c = Destination.Cidr.parse("10.0.0.0/8");
        assertTrue(c.contains(InetAddress.getByName("10.255.1.2")));
        assertFalse(c.contains(InetAddress.getByName("11.0.0.0")));
        assertTrue(c.contains(InetAddress.getByAddress(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 1, 2, 3})),
                "IPv4-mapped IPv6 counts as IPv4");
        assertFalse(c.contains(InetAddress.getByName("fd00::1")));
        assertEquals(32, Destination.Cidr.parse("1.2.3.4").prefix());
        assertEquals(128, Destination.Cidr.parse("fd00::1").prefix());
        assertEquals(Destination.Cidr.parse("10.0.0.0/8"), Destination.Cidr.parse("::ffff:10.0.0.0/104"));
        Destination.Cidr odd = Destination.Cidr.parse("172.16.0.0/12");
        assertTrue(odd.contains(InetAddress.getByName("172.31.255.255")));
        assertFalse(odd.contains(InetAddress.getByName("172.32.0.0")));
        assertTrue(Destination.Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")));
        assertTrue(Destination.Cidr.parse("fe80::/10").contains(InetAddress.getByName("febf::1")));
        for (String bad : List.of("", "1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1.2.3.4/", "1.2.3.4/-1",
                "1.2.3.4/x", "localhost", "::g", "fe80::1%eth0", "[::1]", "1.2.3.4 ", "::ffff:1.2.3.4/95")) {
            assertThrows(InvalidConfigException.class, () -> Destination.Cidr.parse(bad), bad);
        }
    }

    @Test
    void domainForms() {
        assertTrue(new Destination.Domain("Api.Example.com.").matches("api.example.com"));
        assertFalse(new Destination.Domain("example.com").matches("api.example.com"));
        Destination.DomainSuffix s = new Destination.DomainSuffix(".example.com");
        assertEquals("example.com", s.suffix());
        assertTrue(s.matches("example.com"));
        assertTrue(s.matches("a.b.example.com"));
        assertFalse(s.matches("badexample.com"));
        assertFalse(s.matches("example.com.evil"));
        for (String bad : List.of("", ".", "a..b", "a b", "x".repeat(64) + ".com", "a.".repeat(127) + "com",
                "*.example.com")) {
            assertThrows(InvalidConfigException.class, () -> new Destination.Domain(bad), bad);
        }
    }

    @Test
    void nameserverForms() {
        assertEquals(new DnsConfig.Nameserver("1.2.3.4", 53), DnsConfig.Nameserver.parse("1.2.3.4"));
        assertEquals(new DnsConfig.Nameserver("127.0.0.1", 5353), DnsConfig.Nameserver.parse("127.0.0.1:5353"));
        assertEquals(new DnsConfig.Nameserver("::1", 53), DnsConfig.Nameserver.parse("::1"));
        assertEquals(new DnsConfig.Nameserver("::1", 5300), DnsConfig.Nameserver.parse("[::1]:5300"));
        assertEquals(new DnsConfig.Nameserver("dns.example", 53), DnsConfig.Nameserver.parse("DNS.example"));
        assertEquals(new DnsConfig.Nameserver("dns.example", 853), DnsConfig.Nameserver.parse("dns.example:853"));
        for (String bad : List.of("", "1.2.3.4:0", "1.2.3.4:", "[1.2.3.4]:53", "[::1", "bad host", "::1:53x", "a:b:c")) {
            assertNull(DnsConfig.Nameserver.parse(bad), bad);
        }
    }
}
