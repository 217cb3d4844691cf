package io.msb.network.internal.stack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;

/** Opens the host sockets that re-originate the guest's flows. Called only for flows the policy allowed. */
public interface Dialer {
    /** A non-blocking socket whose connect to {@code to} has been started. */
    SocketChannel tcp(InetSocketAddress to) throws IOException;

    /** A non-blocking datagram socket connected to {@code to}. */
    DatagramChannel udp(InetSocketAddress to) throws IOException;
}
