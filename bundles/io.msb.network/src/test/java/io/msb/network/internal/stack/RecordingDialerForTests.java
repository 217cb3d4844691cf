package io.msb.network.internal.stack;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every address the stack asks to dial. Dials for real only inside 127.0.0.0/8 and refuses anything
 * else, so a test can never send a packet off this host.
 */
public final class RecordingDialerForTests implements Dialer {
    public final List<InetSocketAddress> asked = new CopyOnWriteArrayList<>();
    private final HostDialer host = new HostDialer();
    /** If set, the host sockets' send buffer, so a test can see the stack's own buffering fill. */
    volatile int sendBuffer;

    @Override
    public SocketChannel tcp(InetSocketAddress to) throws IOException {
        asked.add(to);
        loopbackOnly(to);
        SocketChannel ch = host.tcp(to);
        if (sendBuffer > 0) {
            ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, sendBuffer);
        }
        return ch;
    }

    @Override
    public DatagramChannel udp(InetSocketAddress to) throws IOException {
        asked.add(to);
        loopbackOnly(to);
        return host.udp(to);
    }

    private static void loopbackOnly(InetSocketAddress to) throws IOException {
        if (!to.getAddress().isLoopbackAddress()) {
            throw new IOException("RecordingDialerForTests dials only 127.0.0.0/8, not " + to);
        }
    }
}
