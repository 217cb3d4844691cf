package io.msb.network.internal.intercept;

import io.msb.api.network.NetworkConfig;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.ViolationAction;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.Dialer;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One sandbox's interception: which of its flows are inspected, its TLS contexts, where its upstream sockets
 * come from, and what it was refused (counted, the most recent {@link #MAX_RECENT} reasons kept, each logged).
 */
public final class SandboxIntercept implements Dialer, Closeable {
    private static final System.Logger LOG = System.getLogger(SandboxIntercept.class.getName());
    public static final String STRICT_TCP = "TCP egress denied by strict hostname policy";
    public static final String STRICT_BYPASS = "TLS bypass denied by strict hostname policy";
    public static final String STRICT_CONNECT = "CONNECT tunnel denied by strict hostname policy";
    static final int MAX_RECENT = 64;
    static final int CONNECT_TIMEOUT_MS = 10_000;

    final String name;
    final NetworkConfig config;
    final SandboxPolicy policy;
    /** Null when TLS is not intercepted (strict only). */
    final SandboxTls tls;
    private final Dialer direct;
    private final InterceptProxy proxy;
    private final Consumer<String> terminate;
    private final AtomicLong denials = new AtomicLong();
    private final Deque<String> recent = new ArrayDeque<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    SandboxIntercept(String name, NetworkConfig config, SandboxPolicy policy, SandboxTls tls, Dialer direct,
            InterceptProxy proxy, Consumer<String> terminate) {
        this.name = name;
        this.config = config;
        this.policy = policy;
        this.tls = tls;
        this.direct = direct;
        this.proxy = proxy;
        this.terminate = terminate;
    }

    // ---- the stack's dialer: inspected flows go to the proxy, the rest straight out

    @Override
    public SocketChannel tcp(InetSocketAddress to) throws IOException {
        return direct.tcp(to);
    }

    @Override
    public SocketChannel tcp(InetSocketAddress to, InetAddress guestDestination) throws IOException {
        int port = to.getPort();
        boolean intercepted = tls != null && config.tls().interceptedPorts().contains(port);
        boolean needsAuthority = policy.needsAuthority(Protocol.TCP, guestDestination, port);
        if (!intercepted && !needsAuthority) {
            return direct.tcp(to);
        }
        return proxy.open(new Flow(this, guestDestination, to, intercepted, needsAuthority));
    }

    @Override
    public java.nio.channels.DatagramChannel udp(InetSocketAddress to) throws IOException {
        return direct.udp(to);
    }

    /** A blocking socket to the real destination, through the sandbox's real dialer (tests record it there). */
    Socket dialUpstream(InetSocketAddress to) throws IOException {
        SocketChannel ch = direct.tcp(to);
        try {
            try (Selector sel = Selector.open()) {
                ch.register(sel, SelectionKey.OP_CONNECT);
                long deadline = System.nanoTime() + CONNECT_TIMEOUT_MS * 1_000_000L;
                while (!ch.finishConnect()) {
                    long left = (deadline - System.nanoTime()) / 1_000_000L;
                    if (left <= 0 || sel.select(left) == 0 && System.nanoTime() >= deadline) {
                        throw new IOException("connecting to " + to + " timed out");
                    }
                }
            }
            ch.configureBlocking(true);
            Socket s = ch.socket();
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    // ---- refusals

    /** A flow refused by strict policy's second look. */
    void deny(String reason, Flow flow, String authority) {
        record(reason + " (" + (authority == null ? "no authority" : authority) + " at " + flow.target() + ")");
    }

    /**
     * A placeholder bound for a host its entry does not allow: counted, and logged unless the action is plain block.
     *
     * @return for block-and-terminate, the reason to {@link #terminate} with once the guest has its answer; else null
     */
    String violation(SecretEntry entry, String host, ViolationAction action) {
        String what = "secret placeholder for " + entry.envVar() + " refused to " + host;
        if (action.kind() == ViolationAction.Kind.BLOCK) {
            count(what);
            return null;
        }
        record(what);
        return action.kind() == ViolationAction.Kind.BLOCK_AND_TERMINATE
                ? "secret violation requested sandbox termination: " + entry.envVar() + " to " + host : null;
    }

    /** Asks for the sandbox to be stopped (whoever attached it decides how). */
    void terminate(String reason) {
        terminate.accept(reason);
    }

    private void record(String what) {
        count(what);
        LOG.log(System.Logger.Level.WARNING, "network: sandbox " + name + ": " + what);
    }

    private void count(String what) {
        denials.incrementAndGet();
        synchronized (recent) {
            if (recent.size() == MAX_RECENT) {
                recent.removeFirst();
            }
            recent.addLast(what);
        }
    }

    /** Flows and requests refused here (the stack counts the rest). */
    public long denials() {
        return denials.get();
    }

    /** The most recent refusals, oldest first: never a secret's value. */
    public List<String> recentDenials() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    // ---- open flows, closed with the sandbox's network

    boolean track(Socket s) {
        open.add(s);
        if (closed) {
            open.remove(s);
            return false;
        }
        return true;
    }

    void untrack(Socket s) {
        open.remove(s);
    }

    @Override
    public void close() {
        closed = true;
        for (Socket s : List.copyOf(open)) {
            InterceptProxy.closeQuietly(s);
        }
    }
}
