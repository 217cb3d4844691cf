package io.msb.api.network;

import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The network options of {@code msb run} and Gogo's {@code msb:run}, one mapping for both: {@code -p
 * [BIND:]HOST:GUEST[/udp]}, {@code --no-net}, {@code --net-profile public|private|host|none|all},
 * {@code --net-allow}/{@code --net-deny DEST[:PORT[-PORT]]} and {@code --dns}. Errors name the option.
 *
 * <p>A destination is a group name ({@code public}, {@code private}, {@code host}, {@code loopback},
 * {@code link_local}, {@code metadata}, {@code multicast}), {@code any}, an address or CIDR block (IPv6 in
 * brackets when a port follows: {@code [fd00::]/8:443}), {@code *.example.com} or {@code .example.com} (the
 * domain and every name under it) or a domain name.
 *
 * @param disabled {@code --no-net}
 * @param profile {@code --net-profile}, or null for the default (public)
 * @param allow {@code --net-allow} destinations
 * @param deny {@code --net-deny} destinations
 * @param ports {@code -p} publications
 * @param dns {@code --dns} nameservers
 */
public record NetworkOptions(boolean disabled, String profile, List<String> allow, List<String> deny,
        List<String> ports, List<String> dns) {

    public NetworkOptions {
        allow = allow == null ? List.of() : List.copyOf(allow);
        deny = deny == null ? List.of() : List.copyOf(deny);
        ports = ports == null ? List.of() : List.copyOf(ports);
        dns = dns == null ? List.of() : List.copyOf(dns);
    }

    /**
     * The network these options ask for: the profile's policy (public by default) with the {@code --net-deny}
     * rules first, then the {@code --net-allow} rules (first match wins: a denial given on the command line
     * beats an allowance), published ports and nameservers.
     */
    public NetworkConfig toConfig() {
        if (disabled) {
            if (profile != null || !allow.isEmpty() || !deny.isEmpty() || !ports.isEmpty() || !dns.isEmpty()) {
                throw Check.invalid("--no-net", "cannot be combined with other network options");
            }
            return NetworkConfig.disabled();
        }
        NetworkPolicy base;
        try {
            base = NetworkPolicy.profile(profile == null ? "public" : profile.trim().toLowerCase(Locale.ROOT));
        } catch (InvalidConfigException e) {
            throw Check.invalid("--net-profile", "must be one of public|private|host|none|all, got \"" + profile + "\"");
        }
        List<Rule> rules = new ArrayList<>();
        deny.forEach(d -> rules.add(rule("--net-deny", d, Action.DENY)));
        allow.forEach(a -> rules.add(rule("--net-allow", a, Action.ALLOW)));
        List<PublishedPort> published = ports.stream().map(NetworkOptions::publishedPort).toList();
        DnsConfig dnsConfig;
        try {
            dnsConfig = new DnsConfig(true, dns, DnsConfig.DEFAULT_QUERY_TIMEOUT_MS);
        } catch (InvalidConfigException e) {
            throw Check.invalid("--dns", e.getMessage().replaceFirst("^invalid config: nameservers(\\[\\d+])?: ", ""));
        }
        return new NetworkConfig(true, null, published, base.withRulesFirst(rules), dnsConfig, null, null,
                NetworkConfig.DEFAULT_MAX_CONNECTIONS, null, false, false);
    }

    /** {@code [BIND:]HOST:GUEST[/tcp|/udp]}; BIND is an IP address (IPv6 in brackets), 127.0.0.1 by default. */
    public static PublishedPort publishedPort(String text) {
        String rest = text.trim();
        PublishedPort.Protocol protocol = PublishedPort.Protocol.TCP;
        int slash = rest.lastIndexOf('/');
        if (slash >= 0) {
            String p = rest.substring(slash + 1).toLowerCase(Locale.ROOT);
            protocol = switch (p) {
                case "tcp" -> PublishedPort.Protocol.TCP;
                case "udp" -> PublishedPort.Protocol.UDP;
                default -> throw Check.invalid("-p", "protocol must be tcp or udp, got \"" + p + "\" in \"" + text + "\"");
            };
            rest = rest.substring(0, slash);
        }
        int guestColon = rest.lastIndexOf(':');
        int hostColon = guestColon < 0 ? -1 : rest.lastIndexOf(':', guestColon - 1);
        if (guestColon < 0) {
            throw Check.invalid("-p", "must be [BIND:]HOST_PORT:GUEST_PORT[/udp], got \"" + text + "\"");
        }
        String bind = hostColon < 0 ? null : rest.substring(0, hostColon);
        if (bind != null && bind.startsWith("[") && bind.endsWith("]")) {
            bind = bind.substring(1, bind.length() - 1);
        }
        int host = port("-p", rest.substring(hostColon + 1, guestColon), text);
        int guest = port("-p", rest.substring(guestColon + 1), text);
        try {
            return new PublishedPort(host, guest, protocol, bind);
        } catch (InvalidConfigException e) {
            throw Check.invalid("-p", e.getMessage().replaceFirst("^invalid config: ", "") + " in \"" + text + "\"");
        }
    }

    /** {@code DEST[:PORT[-PORT]]} as an egress rule with {@code action}. */
    public static Rule rule(String option, String text, Action action) {
        String t = text.trim();
        String dest = t;
        String ports = null;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw Check.invalid(option, "unclosed '[' in \"" + text + "\"");
            }
            int colon = t.indexOf(':', close);
            dest = t.substring(1, close) + (colon < 0 ? t.substring(close + 1) : t.substring(close + 1, colon));
            ports = colon < 0 ? null : t.substring(colon + 1);
        } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
            dest = t.substring(0, t.indexOf(':'));
            ports = t.substring(t.indexOf(':') + 1);
        }
        Rule rule;
        try {
            rule = Rule.egress(destination(dest), action);
        } catch (InvalidConfigException e) {
            throw Check.invalid(option, e.getMessage().replaceFirst("^invalid config: ", "") + " in \"" + text + "\"");
        }
        if (ports == null) {
            return rule;
        }
        int dash = ports.indexOf('-');
        int first = port(option, dash < 0 ? ports : ports.substring(0, dash), text);
        int last = dash < 0 ? first : port(option, ports.substring(dash + 1), text);
        if (first > last) {
            throw Check.invalid(option, "port range " + ports + " ends before it starts in \"" + text + "\"");
        }
        return rule.ports(new PortRange(first, last));
    }

    /** A group name, {@code any}, an address or block, {@code *.suffix} / {@code .suffix}, or a domain. */
    public static Destination destination(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("any")) {
            return Destination.any();
        }
        for (Group g : Group.values()) {
            if (g.wire().equals(t) || (g == Group.LINK_LOCAL && t.equals("link-local"))) {
                return Destination.group(g);
            }
        }
        if (t.startsWith("*.")) {
            return Destination.domainSuffix(t.substring(2));
        }
        if (t.startsWith(".")) {
            return Destination.domainSuffix(t.substring(1));
        }
        int slash = t.indexOf('/');
        if (Addresses.literal(slash < 0 ? t : t.substring(0, slash)) != null) {
            return Destination.cidr(t);
        }
        return Destination.domain(t);
    }

    private static int port(String option, String text, String whole) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Check.invalid(option, "port must be a number 1..65535, got \"" + text + "\" in \"" + whole + "\"");
        }
        int p = Integer.parseInt(text);
        if (p < 1 || p > 65535) {
            throw Check.invalid(option, "port must be 1..65535, got " + p + " in \"" + whole + "\"");
        }
        return p;
    }
}
