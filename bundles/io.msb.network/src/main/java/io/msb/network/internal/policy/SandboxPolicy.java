package io.msb.network.internal.policy;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Direction;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.DnsInterceptor;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.dns.DnsHandler;
import io.msb.network.internal.dns.Forwarder;
import io.msb.network.internal.dns.Upstream;
import java.net.InetAddress;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One sandbox's policy: answers the stack's per-flow questions from memory (never blocks), owns the
 * sandbox's DNS interception and pins, and takes live updates, which apply to flows and queries that start
 * afterwards (open flows are left alone).
 */
public final class SandboxPolicy implements ConnectionPolicy {
    /** Addresses pinned per sandbox at most. */
    public static final int MAX_PINS = 4096;
    /** A pin lives at least this long, whatever the record's TTL: guests and libraries cache answers. */
    public static final long PIN_FLOOR_MILLIS = 60_000;

    private volatile PolicyEngine engine;
    private final boolean rebindProtection;
    /**
     * False when the host has no IPv6 route out: DNS answers then carry no IPv6 address but the gateway's, because a
     * guest that prefers IPv6 (glibc does) would try an address the host cannot reach first, and on an intercepted
     * port, whose TCP handshake the proxy completes, it could not fall back to IPv4 (decision 1313).
     */
    private volatile boolean ipv6Egress = true;
    private final DnsPins pins;
    private final DnsHandler dns;
    private final AtomicLong denials = new AtomicLong();
    private final boolean strict;
    /** UDP ports refused while TLS is intercepted on them (QUIC), so clients fall back to TCP; empty if none. */
    private final Set<Integer> quicBlocked;

    private SandboxPolicy(NetworkConfig config, Set<InetAddress> host, Forwarder upstream, LongSupplier clock) {
        this.engine = new PolicyEngine(config.effectivePolicy(), host);
        this.strict = config.strict();
        this.quicBlocked = config.tlsEnabled() && config.tls().blockQuicOnIntercept()
                ? Set.copyOf(config.tls().interceptedPorts()) : Set.of();
        this.rebindProtection = config.dns().rebindProtection();
        this.pins = new DnsPins(MAX_PINS, PIN_FLOOR_MILLIS, clock);
        this.dns = new DnsHandler(new DnsPolicy(), upstream);
    }

    /**
     * Compiles a sandbox's policy.
     *
     * @param host the sandbox's gateway addresses: group {@code host} and {@code host.microsandbox.internal}
     */
    public static SandboxPolicy compile(NetworkConfig config, Collection<InetAddress> host) {
        return compile(config, host, Upstream.of(config.dns()), System::currentTimeMillis);
    }

    public static SandboxPolicy compile(NetworkConfig config, Collection<InetAddress> host, Forwarder upstream,
            LongSupplier clock) {
        return new SandboxPolicy(config, new LinkedHashSet<>(host), upstream, clock);
    }

    @Override
    public boolean allowEgress(Protocol protocol, InetAddress destination, int port) {
        if (protocol == Protocol.UDP && (quicBlocked.contains(port) || needsAuthority(protocol, destination, port))) {
            // QUIC would bypass interception; and UDP has no authority strict policy could inspect
            return counted(Action.DENY);
        }
        return counted(engine.decide(Direction.EGRESS, protocol, destination, port, pins::names));
    }

    /**
     * Whether strict policy must see the flow's authority (TLS SNI, HTTP Host, CONNECT target) before it opens:
     * strict is on and the flow is allowed only because a domain rule matched a name pinned to the address.
     */
    public boolean needsAuthority(Protocol protocol, InetAddress destination, int port) {
        PolicyEngine e = engine;
        return strict && e.decide(Direction.EGRESS, protocol, destination, port, pins::names) == Action.ALLOW
                && e.decide(Direction.EGRESS, protocol, destination, port, a -> List.of()) != Action.ALLOW;
    }

    /**
     * Strict policy's second look: whether a TCP flow to {@code destination:port} whose authority is {@code name}
     * is allowed, with the domain rules matching that name instead of the DNS pins.
     *
     * @param name a DNS name, or null when the flow named none (or only an IP literal)
     */
    public boolean allowsAuthority(InetAddress destination, int port, String name) {
        List<String> names = name == null ? List.of() : List.of(name);
        return engine.decide(Direction.EGRESS, Protocol.TCP, destination, port, a -> names) == Action.ALLOW;
    }

    @Override
    public boolean allowIngress(Protocol protocol, InetAddress source, int guestPort) {
        return counted(engine.decide(Direction.INGRESS, protocol, source, guestPort, pins::names));
    }

    private boolean counted(Action action) {
        if (action == Action.ALLOW) {
            return true;
        }
        denials.incrementAndGet();
        return false;
    }

    /** Whether DNS answers may carry IPv6 addresses other than the gateway's (see {@link #ipv6Egress}). */
    public SandboxPolicy ipv6Egress(boolean reachable) {
        ipv6Egress = reachable;
        return this;
    }

    /** The sandbox's DNS interception. */
    public DnsInterceptor dns() {
        return dns;
    }

    /** Replaces the policy for flows and queries that start from now on. */
    public void update(NetworkPolicy policy) {
        engine = new PolicyEngine(policy, engine.host());
    }

    public NetworkPolicy policy() {
        return engine.policy();
    }

    /** Flows and DNS names refused so far. */
    public long denials() {
        return denials.get();
    }

    /** Addresses currently pinned. */
    public int pinnedAddresses() {
        return pins.size();
    }

    /** Records a name the guest resolved through our DNS (the DNS handler calls this for allowed answers). */
    void pin(InetAddress address, String name, long ttlSeconds) {
        pins.pin(Destination.unmapped(address), name, ttlSeconds);
    }

    private final class DnsPolicy implements DnsHandler.Policy {
        @Override
        public boolean allowsQuery(String name, Protocol transport) {
            return counted(engine.query(name, transport));
        }

        @Override
        public boolean allowsAnswer(InetAddress address) {
            PolicyEngine e = engine;
            if (!ipv6Egress && address instanceof java.net.Inet6Address && !e.host().contains(address)) {
                return false;
            }
            return !rebindProtection || Groups.classify(Destination.unmapped(address), e.host())
                    == Group.PUBLIC || e.explicitlyAllows(address);
        }

        @Override
        public void pin(InetAddress address, String name, long ttlSeconds) {
            SandboxPolicy.this.pin(address, name, ttlSeconds);
        }

        @Override
        public List<InetAddress> hostAddresses() {
            return List.copyOf(engine.host());
        }
    }
}
