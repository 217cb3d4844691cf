package io.msb.network.internal.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.Rule;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.policy.SandboxPolicy;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS interception against a real DNS server on 127.0.0.1. The addresses in answers are never contacted:
 * denials of public/private addresses are checked at the policy level.
 */
class DnsHandlerTest {
    static final InetAddress GW = addr("172.16.0.1");
    static final InetAddress PUBLIC = addr("93.184.216.34");
    static final InetAddress PRIVATE = addr("10.0.0.5");
    LoopbackDnsServerForTests server;

    static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = new LoopbackDnsServerForTests();
        server.answers.put("allowed.test", List.of(PUBLIC, addr("2001:db8::1")));
        server.answers.put("denied.test", List.of(PUBLIC));
        server.answers.put("rebind.test", List.of(PRIVATE, PUBLIC, addr("127.0.0.1"), addr("169.254.169.254"),
                addr("fd00::1"), GW));
        server.answers.put("only-private.test", List.of(PRIVATE));
        server.silent.add("silent.test");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    SandboxPolicy policy(NetworkPolicy p, DnsConfig dns) {
        NetworkConfig c = new NetworkConfig(true, null, List.of(), p, dns, null, null, 256, null, false, false);
        return SandboxPolicy.compile(c, List.of(GW));
    }

    DnsConfig dns(long timeoutMs, String... nameservers) {
        return new DnsConfig(true, List.of(nameservers), timeoutMs);
    }

    static byte[] query(String name, int type) {
        return Message.newQuery(org.xbill.DNS.Record.newRecord(Name.fromConstantString(name + "."), type, DClass.IN))
                .toWire();
    }

    static Message ask(SandboxPolicy p, byte[] query) throws Exception {
        byte[] reply = p.dns().answer(query).get(30, TimeUnit.SECONDS);
        assertNotNull(reply);
        Message m = new Message(reply);
        assertEquals(new Message(query).getHeader().getID(), m.getHeader().getID(), "the guest's id comes back");
        assertTrue(m.getHeader().getFlag(Flags.QR));
        return m;
    }

    static List<String> addresses(Message m) {
        return m.getSection(Section.ANSWER).stream().map(r -> r.rdataToString()).collect(Collectors.toList());
    }

    /** [deny domain denied.test, allow domain allowed.test, DNS to host, deny the rest]. */
    static NetworkPolicy domainPolicy() {
        return new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                Rule.egress(Destination.domain("denied.test"), Action.DENY),
                Rule.egress(Destination.domain("allowed.test"), Action.ALLOW),
                NetworkPolicy.allowDns()));
    }

    @Test
    void anAllowedNameResolvesAndIsPinnedForItsDomainRule() throws Exception {
        SandboxPolicy p = policy(domainPolicy(), dns(5000, server.nameserver()));
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443), "not resolved yet");
        Message a = ask(p, query("Allowed.Test", Type.A));
        assertEquals(Rcode.NOERROR, a.getRcode());
        assertEquals(List.of("93.184.216.34"), addresses(a));
        assertTrue(p.allowEgress(Protocol.TCP, PUBLIC, 443), "pinned: the domain rule now matches");
        Message aaaa = ask(p, query("allowed.test", Type.AAAA));
        assertEquals(List.of("2001:db8:0:0:0:0:0:1"), addresses(aaaa).stream().map(s -> addr(s).getHostAddress()).toList());
        assertTrue(p.allowEgress(Protocol.TCP, addr("2001:db8::1"), 443));
    }

    @Test
    void aDeniedNameGetsNxdomainAndIsNeverForwarded() throws Exception {
        SandboxPolicy p = policy(domainPolicy(), dns(5000, server.nameserver()));
        Message m = ask(p, query("denied.test", Type.A));
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals("denied.test.", m.getQuestion().getName().toString());
        SandboxPolicy strict = policy(new NetworkPolicy(Action.DENY, Action.ALLOW,
                List.of(Rule.egress(Destination.domain("allowed.test"), Action.ALLOW))), dns(5000, server.nameserver()));
        assertEquals(Rcode.NXDOMAIN, ask(strict, query("other.test", Type.A)).getRcode(), "default deny");
        assertEquals(Rcode.NOERROR, ask(strict, query("allowed.test", Type.A)).getRcode());
        assertEquals(List.of("allowed.test"), List.copyOf(server.asked), "the upstream saw only the allowed name");
        assertFalse(p.allowEgress(Protocol.TCP, PUBLIC, 443), "nothing pinned for the denied name");
    }

    @Test
    void rebindingProtectionDropsPrivateAnswersUnlessARuleAllowsThem() throws Exception {
        SandboxPolicy p = policy(NetworkPolicy.allowAll(), dns(5000, server.nameserver()));
        assertEquals(List.of("93.184.216.34"), addresses(ask(p, query("rebind.test", Type.A))));
        Message none = ask(p, query("only-private.test", Type.A));
        assertEquals(Rcode.NOERROR, none.getRcode());
        assertEquals(List.of(), addresses(none));
        assertEquals(List.of(), addresses(ask(p, query("rebind.test", Type.AAAA))));
        SandboxPolicy allowed = policy(NetworkPolicy.defaults().withRulesFirst(
                List.of(Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW))), dns(5000, server.nameserver()));
        // the gateway stays too: the public profile's DNS rule names the host group (its ports still apply)
        assertEquals(List.of("10.0.0.5", "93.184.216.34", "172.16.0.1"),
                addresses(ask(allowed, query("rebind.test", Type.A))));
        SandboxPolicy noHost = policy(new NetworkPolicy(Action.DENY, Action.ALLOW, List.of(
                Rule.egress(Destination.cidr("10.0.0.0/8"), Action.ALLOW), Rule.egress(Destination.any(), Action.ALLOW))),
                dns(5000, server.nameserver()));
        assertEquals(List.of("10.0.0.5", "93.184.216.34"), addresses(ask(noHost, query("rebind.test", Type.A))));
        SandboxPolicy off = policy(NetworkPolicy.defaults(), new DnsConfig(false, List.of(server.nameserver()), 5000));
        assertEquals(5, addresses(ask(off, query("rebind.test", Type.A))).size(), "every IPv4 answer kept");
    }

    @Test
    void aTimeoutIsServfailAndTheNextNameserverIsTried() throws Exception {
        SandboxPolicy p = policy(NetworkPolicy.defaults(), dns(300, server.nameserver()));
        Message m = ask(p, query("silent.test", Type.A));
        assertEquals(Rcode.SERVFAIL, m.getRcode());
        assertEquals(0, ((io.msb.network.internal.dns.DnsHandler) p.dns()).inFlight());
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            closedPort = s.getLocalPort();
        }
        try (LoopbackDnsServerForTests silentFirst = new LoopbackDnsServerForTests()) {
            silentFirst.silent.add("allowed.test");
            SandboxPolicy failover = policy(NetworkPolicy.defaults(),
                    dns(300, "127.0.0.1:" + closedPort, silentFirst.nameserver(), server.nameserver()));
            assertEquals(List.of("93.184.216.34"), addresses(ask(failover, query("allowed.test", Type.A))));
            assertEquals(List.of("allowed.test"), List.copyOf(silentFirst.asked));
        }
        assertEquals(Rcode.NXDOMAIN, ask(p, query("unknown.test", Type.A)).getRcode(),
                "an upstream NXDOMAIN passes through");
    }

    @Test
    void anUpstreamMessageThatDoesNotAnswerTheQuestionIsNeverRelayed() throws Exception {
        Message notAResponse = new Message(query("allowed.test", Type.A)); // QR clear (found by DnsFuzz)
        notAResponse.addRecord(new ARecord(Name.fromConstantString("allowed.test."), DClass.IN, 60, PUBLIC), Section.ANSWER);
        Message otherQuestion = new Message(query("other.test", Type.A));
        otherQuestion.getHeader().setFlag(Flags.QR);
        Message otherType = new Message(query("allowed.test", Type.AAAA));
        otherType.getHeader().setFlag(Flags.QR);
        Message notify = new Message(query("allowed.test", Type.A));
        notify.getHeader().setFlag(Flags.QR);
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        Message unwritable = new Message(query("allowed.test", Type.A)); // dnsjava cannot write it back (DnsFuzz)
        unwritable.getHeader().setFlag(Flags.QR);
        unwritable.addRecord(new org.xbill.DNS.WKSRecord(Name.fromConstantString("allowed.test."), DClass.IN, 60,
                PUBLIC, 6, new int[0]), Section.ANSWER);
        for (Message hostile : List.of(notAResponse, otherQuestion, otherType, notify, unwritable)) {
            NetworkConfig c = new NetworkConfig(true, null, List.of(), NetworkPolicy.allowAll(), DnsConfig.DEFAULT,
                    null, null, 256, null, false, false);
            SandboxPolicy p = SandboxPolicy.compile(c, List.of(GW),
                    q -> java.util.concurrent.CompletableFuture.completedFuture(hostile), () -> 0);
            Message m = ask(p, query("Allowed.test", Type.A));
            assertEquals(Rcode.SERVFAIL, m.getRcode(), hostile.toString());
            assertEquals(List.of(), addresses(m));
            assertEquals(0, p.pinnedAddresses());
        }
    }

    @Test
    void svcbAddressHintsAreCheckedLikeAddresses() throws Exception {
        Message answer = new Message(query("allowed.test", Type.HTTPS));
        answer.getHeader().setFlag(Flags.QR);
        Name name = Name.fromConstantString("allowed.test.");
        answer.addRecord(new org.xbill.DNS.HTTPSRecord(name, DClass.IN, 60, 1, name, List.of(
                new org.xbill.DNS.SVCBBase.ParameterIpv4Hint(List.of((java.net.Inet4Address) PRIVATE)))), Section.ANSWER);
        answer.addRecord(new org.xbill.DNS.HTTPSRecord(name, DClass.IN, 60, 2, name, List.of(
                new org.xbill.DNS.SVCBBase.ParameterIpv4Hint(List.of((java.net.Inet4Address) PUBLIC)))), Section.ANSWER);
        NetworkConfig c = new NetworkConfig(true, null, List.of(), NetworkPolicy.allowAll(), DnsConfig.DEFAULT,
                null, null, 256, null, false, false);
        SandboxPolicy p = SandboxPolicy.compile(c, List.of(GW),
                q -> java.util.concurrent.CompletableFuture.completedFuture(answer), () -> 0);
        Message m = ask(p, query("allowed.test", Type.HTTPS));
        assertEquals(1, m.getSection(Section.ANSWER).size());
        assertTrue(m.getSection(Section.ANSWER).get(0).rdataToString().contains("93.184.216.34"));
    }

    @Test
    void theHostNameIsAnsweredLocally() throws Exception {
        SandboxPolicy p = policy(NetworkPolicy.defaults(), dns(5000, server.nameserver()));
        Message m = ask(p, query("host.microsandbox.internal", Type.A));
        assertEquals(List.of("172.16.0.1"), addresses(m));
        assertTrue(m.getHeader().getFlag(Flags.AA));
        assertEquals(List.of(), addresses(ask(p, query("host.microsandbox.internal", Type.AAAA))));
        assertTrue(server.asked.isEmpty());
    }

    @Test
    void withIpv6TheHostNameHasTheV6GatewayAndAaaaAnswersAreFilteredLikeA() throws Exception {
        InetAddress gw6 = addr("fd42:6d73:62::1");
        server.answers.put("rebind6.test", List.of(addr("2001:db8::7"), gw6, addr("fd00::9"), addr("fe80::1"),
                addr("::1"), addr("fd00:ec2::254")));
        NetworkConfig c = new NetworkConfig(true, null, List.of(), NetworkPolicy.allowAll(),
                dns(5000, server.nameserver()), null, null, 256, null, false, false);
        SandboxPolicy p = SandboxPolicy.compile(c, List.of(GW, gw6));
        assertEquals(List.of("172.16.0.1"), addresses(ask(p, query("host.microsandbox.internal", Type.A))));
        assertEquals(List.of(gw6.getHostAddress()), addresses(ask(p, query("host.microsandbox.internal",
                Type.AAAA))));
        assertEquals(List.of(addr("2001:db8::7").getHostAddress()), addresses(ask(p, query("rebind6.test",
                Type.AAAA))), "only the public address survives rebinding protection");
        assertTrue(p.allowEgress(Protocol.TCP, addr("2001:db8::7"), 443));

        p.ipv6Egress(false); // a host without an IPv6 route out
        assertEquals(List.of(), addresses(ask(p, query("rebind6.test", Type.AAAA))),
                "no IPv6 address the host cannot reach: the guest uses IPv4");
        assertEquals(List.of(gw6.getHostAddress()), addresses(ask(p, query("host.microsandbox.internal",
                Type.AAAA))), "the gateway stays");
    }

    @Test
    void hostileAndMalformedQueriesAreAnsweredOrDroppedWithoutForwarding() throws Exception {
        SandboxPolicy p = policy(NetworkPolicy.allowAll(), dns(300, server.nameserver()));
        assertNull(p.dns().answer(null).get());
        assertNull(p.dns().answer(new byte[0]).get());
        assertNull(p.dns().answer(new byte[11]).get());
        assertNull(p.dns().answer(new byte[DnsHandler.MAX_QUERY + 1]).get(), "oversized");
        byte[] ok = query("allowed.test", Type.A);
        byte[] truncated = java.util.Arrays.copyOf(ok, ok.length - 3);
        Message formerr = new Message(p.dns().answer(truncated).get());
        assertEquals(Rcode.FORMERR, formerr.getRcode());
        byte[] response = ok.clone();
        response[2] |= (byte) 0x80;
        assertNull(p.dns().answer(response).get(), "a response is not a query");
        Message update = Message.newUpdate(Name.fromConstantString("allowed.test."));
        assertEquals(Rcode.NOTIMP, ask(p, update.toWire()).getRcode());
        Message notify = Message.newQuery(Record.newRecord(Name.fromConstantString("allowed.test."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        assertEquals(Rcode.NOTIMP, ask(p, notify.toWire()).getRcode());
        assertEquals(Rcode.REFUSED, ask(p, query("allowed.test", Type.AXFR)).getRcode());
        Message chaos = Message.newQuery(Record.newRecord(Name.fromConstantString("version.bind."), Type.TXT, DClass.CH));
        assertEquals(Rcode.REFUSED, ask(p, chaos.toWire()).getRcode());
        Message two = Message.newQuery(Record.newRecord(Name.fromConstantString("allowed.test."), Type.A, DClass.IN));
        two.addRecord(Record.newRecord(Name.fromConstantString("denied.test."), Type.A, DClass.IN), Section.QUESTION);
        assertEquals(Rcode.FORMERR, ask(p, two.toWire()).getRcode());
        Message withAnswer = new Message(ok);
        withAnswer.addRecord(new ARecord(Name.fromConstantString("allowed.test."), DClass.IN, 1, PRIVATE), Section.ANSWER);
        assertEquals(Rcode.FORMERR, ask(p, withAnswer.toWire()).getRcode());
        Random random = new Random(12);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[12 + random.nextInt(200)];
            random.nextBytes(junk);
            junk[2] &= 0x7f;
            junk[4] = 0;
            junk[5] = 1; // one question, so the parser goes further
            byte[] reply = p.dns().answer(junk).get(30, TimeUnit.SECONDS);
            if (reply != null) {
                assertTrue(reply.length <= 512, "UDP reply within 512 bytes");
            }
        }
        assertTrue(server.asked.stream().allMatch(n -> n.length() <= 253));
    }

    @Test
    void udpRepliesFitTheGuestsBufferAndTcpRepliesDoNot() throws Exception {
        List<InetAddress> many = new java.util.ArrayList<>();
        for (int i = 1; i <= 40; i++) {
            many.add(addr("93.184.217." + i));
        }
        server.answers.put("many.test", many);
        SandboxPolicy p = policy(NetworkPolicy.defaults(), dns(5000, server.nameserver()));
        Message q = new Message(query("many.test", Type.A));
        q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        Message udp = new Message(p.dns().answer(q.toWire(), Protocol.UDP).get(30, TimeUnit.SECONDS));
        assertFalse(udp.getHeader().getFlag(Flags.TC));
        assertTrue(addresses(udp).size() > 0);
        byte[] small = query("many.test", Type.A);
        byte[] reply = p.dns().answer(small).get(30, TimeUnit.SECONDS);
        assertTrue(reply.length <= 512);
        assertTrue(new Message(reply).getHeader().getFlag(Flags.TC), "truncated: the guest retries over TCP");
        assertNull(new Message(reply).getOPT(), "no OPT for a guest that sent none");
        Message tcp = new Message(p.dns().answer(small, Protocol.TCP).get(30, TimeUnit.SECONDS));
        assertFalse(tcp.getHeader().getFlag(Flags.TC));
        assertEquals(40, addresses(tcp).size());
        assertEquals(40, addresses(udp).size());
    }
}
