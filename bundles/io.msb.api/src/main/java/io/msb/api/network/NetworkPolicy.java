package io.msb.api.network;

import io.msb.api.Check;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * microsandbox's network policy: rules evaluated in order, first match wins, per direction; a flow no
 * rule matches gets its direction's default. JSON {@code {"default_egress":"deny","default_ingress":"allow",
 * "rules":[…]}}; absent defaults are {@code deny} as in microsandbox's serde form.
 */
public record NetworkPolicy(Action defaultEgress, Action defaultIngress, List<Rule> rules) {
    /** Bounds the rule list: every new flow walks it. */
    public static final int MAX_RULES = 1024;

    public NetworkPolicy {
        Objects.requireNonNull(defaultEgress, "defaultEgress");
        Objects.requireNonNull(defaultIngress, "defaultIngress");
        rules = List.copyOf(rules);
        if (rules.size() > MAX_RULES) {
            throw Check.invalid("rules", "has " + rules.size() + " rules (max " + MAX_RULES + ")");
        }
    }

    /** No rules: only the direction defaults apply. */
    public NetworkPolicy(Action defaultEgress, Action defaultIngress) {
        this(defaultEgress, defaultIngress, List.of());
    }

    /** DNS (tcp and udp port 53) to the sandbox's host/gateway, the first rule of every profile policy. */
    public static Rule allowDns() {
        return Rule.egress(Destination.group(Group.HOST), Action.ALLOW)
                .protocols(Protocol.UDP, Protocol.TCP).ports(PortRange.of(53));
    }

    /**
     * As microsandbox's {@code from_profiles}: DNS to the host first, then one allow rule per profile in the
     * fixed order public, private, host; egress otherwise denied, ingress allowed. No profiles, no DNS rule.
     */
    public static NetworkPolicy fromProfiles(Collection<NetworkProfile> profiles) {
        EnumSet<NetworkProfile> set = profiles.isEmpty() ? EnumSet.noneOf(NetworkProfile.class)
                : EnumSet.copyOf(profiles);
        List<Rule> rules = new ArrayList<>();
        if (!set.isEmpty()) {
            rules.add(allowDns());
        }
        for (NetworkProfile p : set) {
            rules.add(Rule.egress(Destination.group(p.group()), Action.ALLOW));
        }
        return new NetworkPolicy(Action.DENY, Action.ALLOW, rules);
    }

    /** The policy of a sandbox with networking enabled and no policy given: the public profile. */
    public static NetworkPolicy defaults() {
        return fromProfiles(List.of(NetworkProfile.PUBLIC));
    }

    /** Nothing in, nothing out. */
    public static NetworkPolicy none() {
        return new NetworkPolicy(Action.DENY, Action.DENY, List.of());
    }

    /** Everything in and out, every group included. */
    public static NetworkPolicy allowAll() {
        return new NetworkPolicy(Action.ALLOW, Action.ALLOW, List.of());
    }

    /**
     * The policy a CLI profile name stands for: {@code public}, {@code private}, {@code host} (each as
     * {@link #fromProfiles}), {@code none} or {@code all}.
     */
    public static NetworkPolicy profile(String name) {
        return switch (name == null ? "" : name) {
            case "public" -> fromProfiles(List.of(NetworkProfile.PUBLIC));
            case "private" -> fromProfiles(List.of(NetworkProfile.PRIVATE));
            case "host" -> fromProfiles(List.of(NetworkProfile.HOST));
            case "none" -> none();
            case "all" -> allowAll();
            default -> throw Check.invalid("profile", "must be one of public|private|host|none|all, got "
                    + MapReader.describe(name));
        };
    }

    /** This policy with more rules in front: they are evaluated first (e.g. the CLI's --net-allow). */
    public NetworkPolicy withRulesFirst(List<Rule> first) {
        List<Rule> all = new ArrayList<>(first);
        all.addAll(rules);
        return new NetworkPolicy(defaultEgress, defaultIngress, all);
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("default_egress", defaultEgress.wire(), "default_ingress", defaultIngress.wire(),
                "rules", rules.stream().map(Rule::toMap).toList());
    }

    /** Reads the JSON form (as a Map); errors name the field under {@code policy}. */
    public static NetworkPolicy fromMap(Map<String, ?> map) {
        return read(map, "policy");
    }

    static NetworkPolicy read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> new NetworkPolicy(action(m, "default_egress"), action(m, "default_ingress"),
                m.list("rules", MAX_RULES, Rule::read)));
    }

    private static Action action(MapReader m, String key) {
        return m.has(key) ? Wire.parse(Action.class, m.string(key), m.at(key)) : Action.DENY;
    }
}
