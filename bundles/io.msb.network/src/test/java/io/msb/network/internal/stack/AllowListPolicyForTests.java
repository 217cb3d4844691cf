package io.msb.network.internal.stack;

import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.Protocol;
import java.net.InetAddress;
import java.util.Set;

/** Test-only policy until the real engine is used here: egress to listed addresses, ingress from loopback. */
class AllowListPolicyForTests implements ConnectionPolicy {
    private final Set<InetAddress> egress;

    AllowListPolicyForTests(InetAddress... egress) {
        this.egress = Set.of(egress);
    }

    @Override
    public boolean allowEgress(Protocol protocol, InetAddress destination, int port) {
        return egress.contains(destination);
    }

    @Override
    public boolean allowIngress(Protocol protocol, InetAddress source, int guestPort) {
        return source.isLoopbackAddress();
    }
}
