package io.msb.network.internal.intercept;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-JVM endpoint inspected flows are handed to: a listener on 127.0.0.1 that serves only connections it
 * was told about. {@link #open} binds the stack's socket first, so its local address (which no other process
 * can hold at the same time) is the key its flow is registered under; anything else that connects is closed at
 * once. Each flow is served with blocking I/O on a thread per direction (flows are bounded by max_connections).
 */
public final class InterceptProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InterceptProxy.class.getName());
    /** A registration whose connection never arrives is dropped after this long. */
    static final long PENDING_NANOS = TimeUnit.SECONDS.toNanos(30);

    private record Pending(Flow flow, long since) {
    }

    private final ServerSocket server;
    private final Map<SocketAddress, Pending> pending = new ConcurrentHashMap<>();
    private final ExecutorService threads;
    private final Thread acceptor;

    private InterceptProxy(ServerSocket server) {
        this.server = server;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "msb-intercept-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::accept, "msb-intercept-accept");
        acceptor.setDaemon(true);
    }

    public static InterceptProxy start() throws IOException {
        ServerSocket s = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        InterceptProxy p = new InterceptProxy(s);
        p.acceptor.start();
        return p;
    }

    /** A non-blocking channel whose connect to the proxy has started; the proxy serves {@code flow} on it. */
    SocketChannel open(Flow flow) throws IOException {
        long now = System.nanoTime();
        pending.values().removeIf(p -> now - p.since() > PENDING_NANOS);
        SocketChannel ch = SocketChannel.open();
        try {
            ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketAddress local = ch.getLocalAddress();
            pending.put(local, new Pending(flow, now));
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(server.getLocalSocketAddress());
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Runs {@code task} on one of the proxy's threads. */
    void execute(Runnable task) {
        threads.execute(task);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.log(System.Logger.Level.WARNING, "network: the interception proxy cannot accept", e);
                    pause(); // e.g. out of descriptors: do not spin
                }
                continue;
            }
            Pending p = pending.remove(s.getRemoteSocketAddress());
            if (p == null) {
                closeQuietly(s); // not a flow of ours
                continue;
            }
            try {
                threads.execute(() -> new InterceptedFlow(p.flow(), s, this).run());
            } catch (RuntimeException e) {
                closeQuietly(s);
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing on the way out: nothing left to tell
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
        threads.shutdownNow();
        pending.clear();
    }
}
