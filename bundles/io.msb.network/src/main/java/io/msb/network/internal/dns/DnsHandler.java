package io.msb.network.internal.dns;

import io.msb.network.internal.DnsInterceptor;
import io.msb.network.internal.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SVCBBase;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Answers a sandbox's DNS queries. Each query is parsed with dnsjava (at most {@link #MAX_QUERY} bytes, one
 * question, opcode QUERY, class IN), checked against the policy (a denied name gets NXDOMAIN here and is never
 * forwarded), {@code host.microsandbox.internal} is answered locally, everything else is forwarded upstream
 * with a fresh message id. Answers lose A/AAAA records (and SVCB/HTTPS records whose address hints) the policy
 * refuses (rebinding protection), the A/AAAA that remain are
 * pinned to the queried name, and the reply fits the guest's UDP size (truncated, TC set) or 64 KiB over TCP.
 * Failure upstream (timeout, every server unreachable) is SERVFAIL. Never blocks.
 */
public final class DnsHandler implements DnsInterceptor {
    public static final int MAX_QUERY = 4096;
    /** Queries forwarded and not yet answered, per sandbox; more get SERVFAIL at once. */
    public static final int MAX_IN_FLIGHT = 256;
    public static final String HOST_NAME = "host.microsandbox.internal";
    private static final long LOCAL_TTL = 60;
    private static final int EDNS_PAYLOAD = 1232;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the handler asks of the policy. */
    public interface Policy {
        /** May the guest resolve this name (lower case, no trailing dot)? */
        boolean allowsQuery(String name, Protocol transport);

        /** May an answer carry this address (rebinding protection)? */
        boolean allowsAnswer(InetAddress address);

        /** The guest learnt that {@code name} resolves to {@code address}. */
        void pin(InetAddress address, String name, long ttlSeconds);

        /** The addresses {@code host.microsandbox.internal} resolves to (the gateway). */
        List<InetAddress> hostAddresses();
    }

    private final Policy policy;
    private final Forwarder upstream;
    private final AtomicInteger inFlight = new AtomicInteger();

    public DnsHandler(Policy policy, Forwarder upstream) {
        this.policy = policy;
        this.upstream = upstream;
    }

    @Override
    public CompletableFuture<byte[]> answer(byte[] query) {
        return answer(query, Protocol.UDP);
    }

    @Override
    public CompletableFuture<byte[]> answer(byte[] query, Protocol transport) {
        if (query == null || query.length < Header.LENGTH || query.length > MAX_QUERY) {
            return CompletableFuture.completedFuture(null);
        }
        Message m;
        try {
            m = new Message(query);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.completedFuture(formatError(query));
        }
        Header h = m.getHeader();
        if (h.getFlag(Flags.QR)) {
            return CompletableFuture.completedFuture(null); // a response from the guest: nothing to answer
        }
        int max = replyLimit(m, transport);
        if (h.getOpcode() != Opcode.QUERY) {
            return done(reply(m, Rcode.NOTIMP), max);
        }
        Record question = m.getQuestion();
        if (question == null || h.getCount(Section.QUESTION) != 1 || h.getCount(Section.ANSWER) != 0
                || h.getCount(Section.AUTHORITY) != 0) {
            return done(reply(m, Rcode.FORMERR), max);
        }
        int type = question.getType();
        if (question.getDClass() != DClass.IN || type == Type.AXFR || type == Type.IXFR) {
            return done(reply(m, Rcode.REFUSED), max);
        }
        String name = canonical(question.getName());
        if (HOST_NAME.equals(name)) {
            return done(hostAnswer(m), max);
        }
        if (!policy.allowsQuery(name, transport)) {
            return done(reply(m, Rcode.NXDOMAIN), max);
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            return done(reply(m, Rcode.SERVFAIL), max);
        }
        Message forward = m.clone();
        forward.getHeader().setID(RANDOM.nextInt(0x10000));
        if (forward.getOPT() == null) {
            forward.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL); // whole answers for TCP guests
        }
        CompletableFuture<Message> sent;
        try {
            sent = upstream.send(forward);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((answer, failure) -> {
            inFlight.decrementAndGet();
            if (failure == null && answer != null) {
                try {
                    return filtered(m, answer, name).toWire(max);
                } catch (RuntimeException e) {
                    // dnsjava parses some records it cannot write back (a WKS record without a bitmap: found
                    // by DnsFuzz); a hostile answer must not break the reply
                }
            }
            return reply(m, Rcode.SERVFAIL).toWire(max);
        });
    }

    /** Forwarded and not yet answered (for tests and counters). */
    public int inFlight() {
        return inFlight.get();
    }

    private Message filtered(Message query, Message answer, String name) {
        Header ah = answer.getHeader();
        Record q = query.getQuestion();
        if (!ah.getFlag(Flags.QR) || ah.getOpcode() != Opcode.QUERY || ah.getCount(Section.QUESTION) != 1
                || !q.equals(answer.getQuestion())) {
            return reply(query, Rcode.SERVFAIL); // not an answer to this question: never relay it
        }
        Message out = answer.clone();
        out.getHeader().setID(query.getHeader().getID());
        if (query.getOPT() == null && out.getOPT() != null) {
            out.removeRecord(out.getOPT(), Section.ADDITIONAL); // no OPT in a reply to a query without one
        }
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            for (Record r : answer.getSection(section)) {
                if (r instanceof SVCBBase svcb && !hintsAllowed(svcb)) {
                    out.removeRecord(r, section); // SVCB/HTTPS address hints could carry a rebinding address
                    continue;
                }
                InetAddress a = address(r);
                if (a == null) {
                    continue;
                }
                if (!policy.allowsAnswer(a)) {
                    out.removeRecord(r, section);
                } else if (section == Section.ANSWER) {
                    policy.pin(a, name, r.getTTL());
                }
            }
        }
        return out;
    }

    private boolean hintsAllowed(SVCBBase r) {
        List<InetAddress> hints = new ArrayList<>();
        try {
            if (r.getSvcParamValue(SVCBBase.IPV4HINT) instanceof SVCBBase.ParameterIpv4Hint v4) {
                hints.addAll(v4.getAddresses());
            }
            if (r.getSvcParamValue(SVCBBase.IPV6HINT) instanceof SVCBBase.ParameterIpv6Hint v6) {
                hints.addAll(v6.getAddresses());
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return hints.stream().allMatch(policy::allowsAnswer);
    }

    private static InetAddress address(Record r) {
        if (r instanceof ARecord a) {
            return a.getAddress();
        }
        return r instanceof AAAARecord a ? a.getAddress() : null;
    }

    private Message hostAnswer(Message query) {
        Message out = reply(query, Rcode.NOERROR);
        out.getHeader().setFlag(Flags.AA);
        Record q = query.getQuestion();
        for (InetAddress a : policy.hostAddresses()) {
            if (q.getType() == Type.A && a.getAddress().length == 4) {
                out.addRecord(new ARecord(q.getName(), DClass.IN, LOCAL_TTL, a), Section.ANSWER);
            } else if (q.getType() == Type.AAAA && a.getAddress().length == 16) {
                out.addRecord(new AAAARecord(q.getName(), DClass.IN, LOCAL_TTL, a), Section.ANSWER);
            }
        }
        return out;
    }

    /** A reply carrying the question and no records. */
    private static Message reply(Message query, int rcode) {
        Message out = new Message(query.getHeader().getID());
        Header h = out.getHeader();
        h.setFlag(Flags.QR);
        h.setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        h.setOpcode(query.getHeader().getOpcode());
        h.setRcode(rcode);
        Record q = query.getQuestion();
        if (q != null && query.getHeader().getCount(Section.QUESTION) == 1) {
            out.addRecord(q, Section.QUESTION);
        }
        if (query.getOPT() != null) {
            out.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
        }
        return out;
    }

    /** FORMERR for a message dnsjava could not parse, if at least its id can be read. */
    private static byte[] formatError(byte[] query) {
        if ((query[2] & 0x80) != 0) {
            return null; // claims to be a response
        }
        Message out = new Message(((query[0] & 0xff) << 8) | (query[1] & 0xff));
        out.getHeader().setFlag(Flags.QR);
        out.getHeader().setRcode(Rcode.FORMERR);
        return out.toWire();
    }

    private static CompletableFuture<byte[]> done(Message reply, int max) {
        return CompletableFuture.completedFuture(reply.toWire(max));
    }

    /** The guest's UDP payload size (512 without EDNS, at most 4096), or 64 KiB over TCP. */
    private static int replyLimit(Message query, Protocol transport) {
        if (transport == Protocol.TCP) {
            return MAX_MESSAGE;
        }
        OPTRecord opt = query.getOPT();
        return opt == null ? 512 : Math.max(512, Math.min(4096, opt.getPayloadSize()));
    }

    static String canonical(Name name) {
        String s = name.toString(true).toLowerCase(Locale.ROOT);
        return s.equals(".") ? "" : s;
    }
}
