package io.msb.network.internal.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;

/** Opens the host sockets that re-originate the guest's flows. Called only for flows the policy allowed. */
public interface Dialer {
    /** A non-blocking socket whose connect to {@code to} has been started. */
    SocketChannel tcp(InetSocketAddress to) throws IOException;

    /**
     * {@link #tcp(InetSocketAddress)} for a guest flow to {@code guestDestination} (the address the guest used;
     * {@code to} is where that is on the host, e.g. loopback for the gateway): a dialer that inspects flows
     * (TLS interception, strict hostname policy) needs the guest's view.
     */
    default SocketChannel tcp(InetSocketAddress to, InetAddress guestDestination) throws IOException {
        return tcp(to);
    }

    /** A non-blocking datagram socket connected to {@code to}. */
    DatagramChannel udp(InetSocketAddress to) throws IOException;
}
