package io.msb.network.internal.dns;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.Rule;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.policy.Groups;
import io.msb.network.internal.policy.SandboxPolicy;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Jazzer target for DNS interception: hostile guest queries and hostile upstream answers. Input: byte 0
 * picks the transport (bit 0) and the policy (bit 1), bytes 1..2 the query's length; then the query, then the
 * bytes the "upstream" answers with (parsed by dnsjava like a real answer). No I/O: the forwarder answers
 * from the input.
 * Oracle: nothing escapes answer(); the future is complete; a reply parses, is a response with the guest's
 * id and fits its transport; no A/AAAA record outside the public group (or the gateway) reaches the guest.
 */
public final class DnsFuzz {
    private static final InetAddress GW = literal("172.16.0.1");
    private static final DnsConfig DNS = new DnsConfig(true, List.of("127.0.0.1"), 1000);
    private static byte[] upstreamBytes = new byte[0];
    private static final Forwarder FROM_INPUT = q -> {
        try {
            return CompletableFuture.completedFuture(new Message(upstreamBytes));
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    };
    private static final SandboxPolicy OPEN = SandboxPolicy.compile(config(NetworkPolicy.allowAll()), List.of(GW),
            FROM_INPUT, System::currentTimeMillis);
    private static final SandboxPolicy DOMAINS = SandboxPolicy.compile(config(new NetworkPolicy(Action.DENY,
            Action.ALLOW, List.of(Rule.egress(Destination.domainSuffix("test"), Action.ALLOW),
                    Rule.egress(Destination.group(Group.PUBLIC), Action.ALLOW)))), List.of(GW), FROM_INPUT,
            System::currentTimeMillis);

    private DnsFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) throws Exception {
        if (data.length < 3) {
            return;
        }
        Protocol transport = (data[0] & 1) != 0 ? Protocol.TCP : Protocol.UDP;
        SandboxPolicy policy = (data[0] & 2) != 0 ? DOMAINS : OPEN;
        int len = Math.min(data.length - 3, ((data[1] & 0xff) << 8) | (data[2] & 0xff));
        byte[] query = Arrays.copyOfRange(data, 3, 3 + len);
        upstreamBytes = Arrays.copyOfRange(data, 3 + len, data.length);
        CompletableFuture<byte[]> f = policy.dns().answer(query, transport);
        if (!f.isDone()) {
            throw new IllegalStateException("the answer did not complete with a synchronous forwarder");
        }
        byte[] reply = f.join();
        if (reply == null) {
            return;
        }
        int limit = transport == Protocol.TCP ? 65535 : 4096;
        if (reply.length > limit) {
            throw new IllegalStateException("reply of " + reply.length + " bytes over " + transport);
        }
        Message m = new Message(reply); // our own reply must parse
        if (!m.getHeader().getFlag(Flags.QR) || m.getHeader().getID() != (((query[0] & 0xff) << 8) | (query[1] & 0xff))) {
            throw new IllegalStateException("reply is not a response to the guest's id: " + m.getHeader());
        }
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record r : m.getSection(section)) {
                InetAddress a = r instanceof ARecord ar ? ar.getAddress() : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
                if (a != null) {
                    Group g = Groups.classify(a, Set.of(GW));
                    if (g != Group.PUBLIC && g != Group.HOST) {
                        throw new IllegalStateException("rebinding protection let " + a + " (" + g + ") through");
                    }
                }
            }
        }
    }

    private static NetworkConfig config(NetworkPolicy p) {
        return new NetworkConfig(true, null, List.of(), p, DNS, null, null, 256, null, false, false);
    }

    private static InetAddress literal(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
