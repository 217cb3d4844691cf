package io.msb.api;

import java.util.List;
import java.util.Objects;

/**
 * What a sandbox may reach and which of its ports the host publishes.
 *
 * @param scope the default reach of the guest
 * @param allow destinations (CIDR or host name) allowed beyond the scope
 * @param deny destinations denied even if the scope allows them
 * @param ports published ports
 */
public record NetworkPolicy(Scope scope, List<String> allow, List<String> deny, List<PortMapping> ports) {

    /** The default reach of a guest, as microsandbox's network scopes. */
    public enum Scope { NONE, GROUP, PUBLIC, ANY }

    /** A guest port published on a host address. */
    public record PortMapping(String hostAddress, int hostPort, int guestPort, String protocol) {
        public PortMapping {
            Objects.requireNonNull(hostAddress, "hostAddress");
            Objects.requireNonNull(protocol, "protocol");
        }
    }

    public static final NetworkPolicy NONE = new NetworkPolicy(Scope.NONE, List.of(), List.of(), List.of());

    public NetworkPolicy {
        Objects.requireNonNull(scope, "scope");
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
        ports = List.copyOf(ports);
    }
}
