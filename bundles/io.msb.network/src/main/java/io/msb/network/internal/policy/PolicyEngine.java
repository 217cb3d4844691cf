package io.msb.network.internal.policy;

import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Direction;
import io.msb.api.network.Group;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Rule;
import io.msb.network.internal.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * One policy, evaluated as microsandbox does: per direction, the first rule that matches decides, else the
 * direction's default. A domain or domain_suffix rule matches an address only through a DNS pin (a name the
 * guest resolved through our DNS to that address). Immutable; a live update builds a new engine.
 */
public final class PolicyEngine {
    private final NetworkPolicy policy;
    private final Set<InetAddress> host;
    private final Rule[] rules;
    /** Per rule, a cidr destination's network bytes (null for other destinations): no copies per decision. */
    private final byte[][] networks;

    public PolicyEngine(NetworkPolicy policy, Set<InetAddress> host) {
        this.policy = policy;
        this.host = Set.copyOf(host);
        this.rules = policy.rules().toArray(new Rule[0]);
        this.networks = new byte[rules.length][];
        for (int i = 0; i < rules.length; i++) {
            if (rules[i].destination() instanceof Destination.Cidr c) {
                networks[i] = c.network().getAddress();
            }
        }
    }

    public NetworkPolicy policy() {
        return policy;
    }

    public Set<InetAddress> host() {
        return host;
    }

    /**
     * The action for a flow.
     *
     * @param flow {@link Direction#EGRESS} (peer = destination) or {@link Direction#INGRESS} (peer = source)
     * @param port the guest-side port (the destination port for egress, the guest port for ingress); ignored for ICMP
     * @param pins the names pinned to an address
     */
    public Action decide(Direction flow, Protocol protocol, InetAddress peer, int port,
            Function<InetAddress, List<String>> pins) {
        InetAddress address = Destination.unmapped(peer);
        io.msb.api.network.Protocol p = wire(protocol, address);
        byte[] bytes = address.getAddress();
        Group group = null;
        List<String> names = null;
        for (int i = 0; i < rules.length; i++) {
            Rule r = rules[i];
            if (!r.direction().covers(flow) || !protocolMatches(r, p) || !portMatches(r, p, port)) {
                continue;
            }
            Destination d = r.destination();
            boolean match;
            if (d instanceof Destination.Any) {
                match = true;
            } else if (d instanceof Destination.Cidr c) {
                match = inBlock(bytes, networks[i], c.prefix());
            } else if (d instanceof Destination.InGroup g) {
                group = group == null ? Groups.classify(address, host) : group;
                match = g.group() == group;
            } else {
                names = names == null ? pins.apply(address) : names;
                match = false;
                for (int n = 0; n < names.size() && !match; n++) {
                    match = nameMatches(d, names.get(n));
                }
            }
            if (match) {
                return r.action();
            }
        }
        return flow == Direction.INGRESS ? policy.defaultIngress() : policy.defaultEgress();
    }

    /**
     * Whether the guest may resolve a name, as microsandbox checks a query against the egress rules:
     * domain rules match the name (protocol and port ignored), {@code any} and {@code group host} match a
     * query to port 53 over udp/tcp (the answer comes from the host), cidr and other groups never match.
     */
    public Action query(String name, Protocol transport) {
        io.msb.api.network.Protocol p = transport == Protocol.TCP ? io.msb.api.network.Protocol.TCP
                : io.msb.api.network.Protocol.UDP;
        for (Rule r : rules) {
            if (!r.direction().covers(Direction.EGRESS)) {
                continue;
            }
            Destination d = r.destination();
            boolean match;
            if (d instanceof Destination.Domain || d instanceof Destination.DomainSuffix) {
                match = nameMatches(d, name);
            } else if (d instanceof Destination.Any
                    || (d instanceof Destination.InGroup g && g.group() == Group.HOST)) {
                match = protocolMatches(r, p) && portMatches(r, p, 53);
            } else {
                match = false;
            }
            if (match) {
                return r.action();
            }
        }
        return policy.defaultEgress();
    }

    /**
     * Whether an explicit address rule allows this (private or reserved) address, which lets a DNS answer
     * carrying it through rebinding protection: an allow rule with a cidr containing it or its group. Allow
     * by default, or through {@code any}, does not count.
     */
    public boolean explicitlyAllows(InetAddress peer) {
        InetAddress address = Destination.unmapped(peer);
        Group group = Groups.classify(address, host);
        for (Rule r : rules) {
            if (r.action() == Action.ALLOW && r.direction().covers(Direction.EGRESS)
                    && (r.destination() instanceof Destination.Cidr c && c.contains(address)
                    || r.destination() instanceof Destination.InGroup g && g.group() == group)) {
                return true;
            }
        }
        return false;
    }

    private static boolean inBlock(byte[] a, byte[] network, int prefix) {
        if (a.length != network.length) {
            return false;
        }
        int full = prefix >>> 3;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix & 7;
        return rest == 0 || ((a[full] ^ network[full]) & (0xff << (8 - rest)) & 0xff) == 0;
    }

    private static boolean nameMatches(Destination d, String name) {
        return d instanceof Destination.Domain dom ? dom.matches(name)
                : d instanceof Destination.DomainSuffix s && s.matches(name);
    }

    private static boolean protocolMatches(Rule r, io.msb.api.network.Protocol p) {
        return r.protocols().isEmpty() || r.protocols().contains(p);
    }

    /** ICMP has no ports: a rule with port filters never matches it. */
    private static boolean portMatches(Rule r, io.msb.api.network.Protocol p, int port) {
        if (r.ports().isEmpty()) {
            return true;
        }
        if (p.isIcmp()) {
            return false;
        }
        for (PortRange range : r.ports()) {
            if (range.contains(port)) {
                return true;
            }
        }
        return false;
    }

    private static io.msb.api.network.Protocol wire(Protocol protocol, InetAddress address) {
        return switch (protocol) {
            case TCP -> io.msb.api.network.Protocol.TCP;
            case UDP -> io.msb.api.network.Protocol.UDP;
            case ICMP -> Groups.isIpv4(address) ? io.msb.api.network.Protocol.ICMPV4 : io.msb.api.network.Protocol.ICMPV6;
        };
    }
}
