package io.msb.api.network;

import io.msb.api.Check;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One policy rule; the first rule that matches a flow decides it.
 *
 * @param direction which flows the rule considers
 * @param destination what it matches (in an ingress rule: the peer)
 * @param protocols empty = any protocol
 * @param ports guest-side ports, empty = any; a rule with ports never matches ICMP
 * @param action allow or deny
 */
public record Rule(Direction direction, Destination destination, List<Protocol> protocols, List<PortRange> ports,
        Action action) {
    /** Bounds a rule's lists so a policy's evaluation cost stays small. */
    public static final int MAX_ITEMS = 64;

    public Rule {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(action, "action");
        protocols = List.copyOf(protocols);
        ports = List.copyOf(ports);
        if (protocols.size() > MAX_ITEMS) {
            throw Check.invalid("protocols", "has " + protocols.size() + " entries (max " + MAX_ITEMS + ")");
        }
        if (ports.size() > MAX_ITEMS) {
            throw Check.invalid("ports", "has " + ports.size() + " entries (max " + MAX_ITEMS + ")");
        }
    }

    public static Rule egress(Destination destination, Action action) {
        return new Rule(Direction.EGRESS, destination, List.of(), List.of(), action);
    }

    public static Rule ingress(Destination destination, Action action) {
        return new Rule(Direction.INGRESS, destination, List.of(), List.of(), action);
    }

    /** The same rule limited to these protocols. */
    public Rule protocols(Protocol... p) {
        return new Rule(direction, destination, List.of(p), ports, action);
    }

    /** The same rule limited to these guest-side ports. */
    public Rule ports(PortRange... p) {
        return new Rule(direction, destination, protocols, List.of(p), action);
    }

    public Map<String, Object> toMap() {
        return MapReader.ordered("direction", direction.wire(), "destination", destination.toWire(),
                "protocols", protocols.stream().map(Protocol::wire).toList(),
                "ports", ports.stream().map(PortRange::toMap).toList(), "action", action.wire());
    }

    static Rule read(Object value, String path) {
        MapReader m = MapReader.of(value, path);
        return m.build(() -> new Rule(
                Wire.parse(Direction.class, m.requiredString("direction"), m.at("direction")),
                Destination.fromWire(required(m, "destination"), m.at("destination")),
                m.list("protocols", MAX_ITEMS, (v, p) -> Wire.parse(Protocol.class, v, p)),
                m.list("ports", MAX_ITEMS, PortRange::read),
                Wire.parse(Action.class, m.requiredString("action"), m.at("action"))));
    }

    private static Object required(MapReader m, String key) {
        Object v = m.raw(key);
        if (v == null) {
            throw new MapReader.PathError(m.at(key), "is required");
        }
        return v;
    }
}
