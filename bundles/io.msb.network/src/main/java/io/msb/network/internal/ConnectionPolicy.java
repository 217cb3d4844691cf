package io.msb.network.internal;

import java.net.InetAddress;

/**
 * Decides whether a new flow may open. The stack asks once per flow from its selector threads, so an
 * implementation answers from memory and never blocks.
 */
public interface ConnectionPolicy {
    /** Guest to outside: may the guest open a flow to {@code destination:port}? */
    boolean allowEgress(Protocol protocol, InetAddress destination, int port);

    /** Published port to guest: may {@code source} reach the guest's {@code guestPort}? */
    boolean allowIngress(Protocol protocol, InetAddress source, int guestPort);
}
