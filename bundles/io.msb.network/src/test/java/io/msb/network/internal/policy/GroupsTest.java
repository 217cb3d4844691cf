package io.msb.network.internal.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.msb.api.network.Group;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GroupsTest {
    static final InetAddress GATEWAY = addr("172.16.0.1");

    static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal); // literals only: no lookup
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** An IPv6 address object even for ::ffff:a.b.c.d, which getByName would turn into IPv4. */
    static InetAddress mapped(String v4) throws Exception {
        byte[] b = addr(v4).getAddress();
        return java.net.Inet6Address.getByAddress(null, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1,
                b[0], b[1], b[2], b[3]}, -1);
    }

    @Test
    void everyAddressHasExactlyOneGroupAndTheEdgesAreRight() throws Exception {
        Map<String, Group> cases = new LinkedHashMap<>();
        cases.put("172.16.0.1", Group.HOST);
        cases.put("172.16.0.2", Group.PRIVATE);
        cases.put("169.254.169.254", Group.METADATA);
        cases.put("169.254.170.2", Group.METADATA);
        cases.put("100.100.100.200", Group.METADATA);
        cases.put("fd00:ec2::254", Group.METADATA);
        cases.put("169.254.169.253", Group.LINK_LOCAL);
        cases.put("169.254.0.0", Group.LINK_LOCAL);
        cases.put("169.254.255.255", Group.LINK_LOCAL);
        cases.put("169.255.0.0", Group.PUBLIC);
        cases.put("127.0.0.1", Group.LOOPBACK);
        cases.put("127.255.255.255", Group.LOOPBACK);
        cases.put("0.0.0.0", Group.LOOPBACK);
        cases.put("0.255.255.255", Group.LOOPBACK);
        cases.put("::1", Group.LOOPBACK);
        cases.put("::", Group.LOOPBACK);
        cases.put("10.0.0.0", Group.PRIVATE);
        cases.put("10.255.255.255", Group.PRIVATE);
        cases.put("11.0.0.0", Group.PUBLIC);
        cases.put("9.255.255.255", Group.PUBLIC);
        cases.put("172.15.255.255", Group.PUBLIC);
        cases.put("172.31.255.255", Group.PRIVATE);
        cases.put("172.32.0.0", Group.PUBLIC);
        cases.put("192.168.0.0", Group.PRIVATE);
        cases.put("192.167.255.255", Group.PUBLIC);
        cases.put("192.169.0.0", Group.PUBLIC);
        cases.put("100.64.0.0", Group.PRIVATE);
        cases.put("100.127.255.255", Group.PRIVATE);
        cases.put("100.63.255.255", Group.PUBLIC);
        cases.put("100.128.0.0", Group.PUBLIC);
        cases.put("198.18.0.1", Group.PRIVATE);
        cases.put("240.0.0.1", Group.PRIVATE);
        cases.put("224.0.0.1", Group.MULTICAST);
        cases.put("239.255.255.255", Group.MULTICAST);
        cases.put("255.255.255.255", Group.MULTICAST);
        cases.put("223.255.255.255", Group.PUBLIC);
        cases.put("8.8.8.8", Group.PUBLIC);
        cases.put("1.1.1.1", Group.PUBLIC);
        cases.put("fe80::1", Group.LINK_LOCAL);
        cases.put("febf:ffff::1", Group.LINK_LOCAL);
        cases.put("fec0::1", Group.PRIVATE);
        cases.put("fc00::1", Group.PRIVATE);
        cases.put("fdff::1", Group.PRIVATE);
        cases.put("fe00::1", Group.PUBLIC);
        cases.put("ff02::1", Group.MULTICAST);
        cases.put("2001:4860:4860::8888", Group.PUBLIC);
        cases.put("64:ff9b::a9fe:a9fe", Group.METADATA); // NAT64 spelling of 169.254.169.254
        cases.put("64:ff9b::7f00:1", Group.LOOPBACK);
        cases.put("64:ff9b::808:808", Group.PUBLIC);
        cases.put("::a9fe:a9fe", Group.METADATA); // IPv4-compatible spelling
        for (Map.Entry<String, Group> c : cases.entrySet()) {
            assertEquals(c.getValue(), Groups.classify(addr(c.getKey()), Set.of(GATEWAY)), c.getKey());
        }
        assertEquals(Group.METADATA, Groups.classify(mapped("169.254.169.254"), Set.of(GATEWAY)));
        assertEquals(Group.LOOPBACK, Groups.classify(mapped("127.0.0.1"), Set.of(GATEWAY)));
        assertEquals(Group.LOOPBACK, Groups.classify(mapped("0.0.0.0"), Set.of(GATEWAY)));
        assertEquals(Group.MULTICAST, Groups.classify(mapped("255.255.255.255"), Set.of(GATEWAY)));
        assertEquals(Group.HOST, Groups.classify(mapped("172.16.0.1"), Set.of(GATEWAY)));
        assertEquals(Group.PRIVATE, Groups.classify(mapped("10.1.2.3"), Set.of(GATEWAY)));
        assertEquals(Group.PUBLIC, Groups.classify(mapped("93.184.216.34"), Set.of(GATEWAY)));
        assertEquals(Group.PRIVATE, Groups.classify(GATEWAY, Set.of()), "without a gateway it is just private");
        java.net.InetAddress gateway6 = addr("fd42:6d73:62::1");
        assertEquals(Group.HOST, Groups.classify(gateway6, Set.of(GATEWAY, gateway6)), "the IPv6 gateway is host");
        assertEquals(Group.PRIVATE, Groups.classify(addr("fd42:6d73:62::2"), Set.of(GATEWAY, gateway6)));
        assertEquals(Group.PRIVATE, Groups.classify(gateway6, Set.of(GATEWAY)), "another sandbox's gateway: ULA");
    }
}
