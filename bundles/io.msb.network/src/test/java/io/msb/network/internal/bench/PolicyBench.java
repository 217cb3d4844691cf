package io.msb.network.internal.bench;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.DnsConfig;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Rule;
import io.msb.api.spi.DaemonThreads;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.policy.SandboxPolicy;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import org.xbill.DNS.DClass;

/**
 * Policy decisions per second (one thread) for three policies, and the latency DNS interception adds to a
 * query against a DNS server on 127.0.0.1 (nothing leaves the loopback interface).
 * Args: [decisions per policy, default 5,000,000] [DNS queries, default 5,000].
 */
public final class PolicyBench {
    private static final InetAddress GW = literal("172.16.0.1");
    private static volatile boolean sink;

    private PolicyBench() {
    }

    public static void main(String[] args) throws Exception {
        int decisions = args.length > 0 ? Integer.parseInt(args[0]) : 5_000_000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
        try (ReplayServer server = new ReplayServer()) {
            System.out.printf("policy decisions, one thread, %,d per policy:%n", decisions);
            decide("public profile (2 rules)", NetworkPolicy.defaults(), decisions, server);
            decide("20 mixed rules + domain pins", mixed(20), decisions, server);
            decide("1024 cidr rules, none matching", worstCase(), decisions, server);
            dns(queries, server);
        }
    }

    private static void decide(String label, NetworkPolicy policy, int n, ReplayServer server) throws Exception {
        SandboxPolicy p = compile(policy, server);
        InetAddress[] targets = new InetAddress[256];
        for (int i = 0; i < targets.length; i++) {
            // a mix of public, private, metadata, gateway and pinned addresses
            targets[i] = switch (i % 5) {
                case 0 -> literal("93.184." + (i % 250) + ".7");
                case 1 -> literal("10.0." + (i % 250) + ".1");
                case 2 -> literal("169.254.169.254");
                case 3 -> GW;
                default -> literal("151.101." + (i % 250) + ".1");
            };
        }
        for (int i = 0; i < 64; i++) { // pins, through interception: cdnN.example.com is 151.101.N.1
            p.dns().answer(query("cdn" + i + ".example.com")).get(5, TimeUnit.SECONDS);
        }
        run(p, targets, n / 5); // warm-up
        long t0 = System.nanoTime();
        int allowed = run(p, targets, n);
        long ns = System.nanoTime() - t0;
        System.out.printf("  %-34s %,12.0f decisions/s  %6.1f ns each  (%d%% allowed)%n", label, n * 1e9 / ns,
                (double) ns / n, allowed * 100L / n);
    }

    private static int run(SandboxPolicy p, InetAddress[] targets, int n) {
        int allowed = 0;
        for (int i = 0; i < n; i++) {
            boolean ok = p.allowEgress((i & 1) == 0 ? Protocol.TCP : Protocol.UDP, targets[i & 255], 443 + (i & 63));
            allowed += ok ? 1 : 0;
        }
        sink = allowed > 0;
        return allowed;
    }

    private static NetworkPolicy mixed(int n) {
        List<Rule> rules = new ArrayList<>();
        rules.add(Rule.egress(Destination.group(Group.METADATA), Action.DENY));
        for (int i = 0; rules.size() < n - 3; i++) {
            rules.add(Rule.egress(Destination.cidr("198.51." + i + ".0/24"), Action.ALLOW).ports(PortRange.of(443)));
            rules.add(Rule.egress(Destination.domain("api" + i + ".example.org"), Action.ALLOW));
        }
        rules.add(Rule.egress(Destination.domainSuffix("example.com"), Action.ALLOW));
        rules.add(NetworkPolicy.allowDns());
        rules.add(Rule.egress(Destination.group(Group.PUBLIC), Action.ALLOW).ports(new PortRange(443, 450)));
        return new NetworkPolicy(Action.DENY, Action.ALLOW, rules);
    }

    private static NetworkPolicy worstCase() {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < NetworkPolicy.MAX_RULES; i++) {
            rules.add(Rule.egress(Destination.cidr("198." + (18 + i / 256) + "." + (i % 256) + ".0/24"), Action.ALLOW));
        }
        return new NetworkPolicy(Action.DENY, Action.ALLOW, rules);
    }

    /** Each query sequentially: straight to the server with dnsjava, then through interception. */
    private static void dns(int n, ReplayServer server) throws Exception {
        SandboxPolicy p = compile(NetworkPolicy.defaults(), server);
        SimpleResolver direct = new SimpleResolver(server.address());
        direct.setTimeout(Duration.ofSeconds(5));
        byte[] query = query("bench.example.com");
        Message q = new Message(query);
        for (int i = 0; i < n / 5; i++) { // warm-up both paths
            direct.send(q);
            p.dns().answer(query).get(5, TimeUnit.SECONDS);
        }
        DatagramSocket raw = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        raw.connect(server.address());
        raw.setSoTimeout(5000);
        DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        long[] bare = new long[n];
        long[] straight = new long[n];
        long[] intercepted = new long[n];
        long[] denied = new long[n];
        SandboxPolicy deny = compile(NetworkPolicy.none(), server);
        for (int i = 0; i < n; i++) {
            long tr = System.nanoTime();
            raw.send(new DatagramPacket(query, query.length));
            in.setLength(4096);
            raw.receive(in);
            long t0 = System.nanoTime();
            bare[i] = t0 - tr;
            direct.send(q);
            long t1 = System.nanoTime();
            byte[] reply = p.dns().answer(query).get(5, TimeUnit.SECONDS);
            long t2 = System.nanoTime();
            deny.dns().answer(query).get(5, TimeUnit.SECONDS);
            long t3 = System.nanoTime();
            if (reply == null) {
                throw new IllegalStateException("no reply");
            }
            straight[i] = t1 - t0;
            intercepted[i] = t2 - t1;
            denied[i] = t3 - t2;
        }
        System.out.printf("DNS, %,d sequential A queries against a server on 127.0.0.1 (p50 / p99, microseconds):%n", n);
        System.out.printf("  raw UDP socket round trip          %8.1f / %8.1f%n", pct(bare, 50), pct(bare, 99));
        System.out.printf("  straight to the server (dnsjava)   %8.1f / %8.1f%n", pct(straight, 50), pct(straight, 99));
        System.out.printf("  through interception (allowed)     %8.1f / %8.1f   added p50 over raw UDP %.1f%n",
                pct(intercepted, 50), pct(intercepted, 99), pct(intercepted, 50) - pct(bare, 50));
        System.out.printf("  denied name (local NXDOMAIN)       %8.1f / %8.1f%n", pct(denied, 50), pct(denied, 99));
        System.out.printf("  server answered %,d queries%n", server.answered);
        raw.close();
    }

    private static byte[] query(String name) {
        return Message.newQuery(Record.newRecord(Name.fromConstantString(name + "."), Type.A, DClass.IN)).toWire();
    }

    private static double pct(long[] v, int p) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * p / 100)] / 1000.0;
    }

    private static SandboxPolicy compile(NetworkPolicy policy, ReplayServer server) {
        NetworkConfig c = new NetworkConfig(true, null, List.of(), policy,
                new DnsConfig(true, List.of("127.0.0.1:" + server.address().getPort()), 5000), null, null, 256, null,
                false, false);
        return SandboxPolicy.compile(c, List.of(GW));
    }

    private static InetAddress literal(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Answers every query on 127.0.0.1 with one A record: 151.101.N.1 for cdnN.*, else 93.184.216.34. */
    static final class ReplayServer implements AutoCloseable {
        private final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        volatile long answered;

        ReplayServer() throws Exception {
            DaemonThreads.start("bench-dns", this::serve);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) socket.getLocalSocketAddress();
        }

        private void serve() {
            DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
            for (;;) {
                try {
                    p.setLength(4096);
                    socket.receive(p);
                    Message r = new Message(Arrays.copyOf(p.getData(), p.getLength()));
                    r.getHeader().setFlag(org.xbill.DNS.Flags.QR);
                    Name name = r.getQuestion().getName();
                    String text = name.toString(true);
                    String address = text.startsWith("cdn")
                            ? "151.101." + text.substring(3, text.indexOf('.')) + ".1" : "93.184.216.34";
                    r.addRecord(new org.xbill.DNS.ARecord(name, DClass.IN, 300, literal(address)),
                            org.xbill.DNS.Section.ANSWER);
                    byte[] out = r.toWire();
                    socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    answered++;
                } catch (java.net.SocketException closed) {
                    return;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
