package io.msb.network.internal.intercept;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A guest TCP flow handed to the proxy.
 *
 * @param sandbox whose flow it is
 * @param destination the address the guest connected to
 * @param upstream where that is on the host
 * @param intercepted TLS on this port is terminated (interception on, an intercepted port)
 * @param needsAuthority strict policy must see an allowed authority before the flow opens
 */
record Flow(SandboxIntercept sandbox, InetAddress destination, InetSocketAddress upstream, boolean intercepted,
        boolean needsAuthority) {
    int port() {
        return upstream.getPort();
    }

    /** The destination as the guest named it, for logs. */
    String target() {
        return destination.getHostAddress() + ":" + port();
    }
}
