package io.msb.network.internal.bench;

import io.msb.api.network.RateLimiter;
import io.msb.network.internal.ConnectionPolicy;
import io.msb.network.internal.DnsInterceptor;
import io.msb.network.internal.Protocol;
import io.msb.network.internal.stack.EventLoop;
import io.msb.network.internal.stack.HostDialer;
import io.msb.network.internal.stack.NetStack;
import io.msb.network.internal.stack.StackConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Figures for the user-space stack with a Java guest in QEMU's place: TCP throughput guest→host and
 * host→guest through the gateway to a 127.0.0.1 socket, sequential connections per second, heap per idle
 * sandbox network and per idle connection. Prints figures; asserts nothing.
 * Usage: {@code StackBench [seconds per throughput run, default 5]}.
 */
public final class StackBench {
    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final ConnectionPolicy HOST_ONLY = new ConnectionPolicy() {
        @Override
        public boolean allowEgress(Protocol protocol, InetAddress destination, int port) {
            return destination.getAddress()[3] == 1; // the gateway
        }

        @Override
        public boolean allowIngress(Protocol protocol, InetAddress source, int guestPort) {
            return true;
        }
    };
    static final DnsInterceptor NO_DNS = query -> CompletableFuture.completedFuture(null);

    private StackBench() {
    }

    record Sandbox(NetStack stack, GuestDriver guest, ServerSocketChannel qemu, Path dir) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            stack.close();
            guest.close();
            qemu.close();
            Files.deleteIfExists(dir.resolve("net.sock"));
            Files.deleteIfExists(dir);
        }
    }

    static Sandbox sandbox(EventLoop loop, boolean withGuest) throws IOException {
        Path dir = Files.createTempDirectory("msbnb");
        Path sock = dir.resolve("net.sock");
        ServerSocketChannel qemu = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        qemu.bind(UnixDomainSocketAddress.of(sock));
        NetStack stack = NetStack.start(loop, new StackConfig(sock, GuestDriver.MAC, GuestDriver.IP, 4096,
                RateLimiter.UNLIMITED, List.of(), StackConfig.DEFAULT_FLOW_BUFFER, 60_000), HOST_ONLY, NO_DNS,
                new HostDialer());
        SocketChannel link = qemu.accept();
        return new Sandbox(stack, withGuest ? new GuestDriver(link) : null, qemu, dir);
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        EventLoop loop = new EventLoop("bench-net");
        System.out.printf("cpus %d, java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        try (Sandbox s = sandbox(loop, true); ServerSocket host = new ServerSocket(0, 50, LOOPBACK)) {
            for (int round = 0; round < 3; round++) {
                upload(s.guest(), host, seconds, 41000 + round * 2);
                download(s.guest(), host, seconds, 41001 + round * 2);
            }
            connections(s.guest(), host, 2000);
            idleConnections(s.guest(), host, 1000);
        }
        idleNetworks(loop, 200);
        loop.close();
    }

    static void upload(GuestDriver guest, ServerSocket host, int seconds, int port) throws Exception {
        AtomicLong got = new AtomicLong();
        CompletableFuture<Void> sink = CompletableFuture.runAsync(() -> {
            try (Socket s = host.accept(); InputStream in = s.getInputStream()) {
                byte[] b = new byte[1 << 16];
                int n;
                while ((n = in.read(b)) > 0) {
                    got.addAndGet(n);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        GuestDriver.Flow f = guest.flow(port, host.getLocalPort(), 4 << 20);
        f.connect();
        long total = 0;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            f.upload(4 << 20);
            total += 4 << 20;
        }
        f.fin();
        sink.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("guest->host: %.0f Mbit/s (%d MiB in %.1f s, host received %d MiB)%n",
                total * 8 / s / 1e6, total >> 20, s, got.get() >> 20);
    }

    static void download(GuestDriver guest, ServerSocket host, int seconds, int port) throws Exception {
        GuestDriver.Flow f = guest.flow(port, host.getLocalPort(), 4 << 20);
        CompletableFuture<Long> source = CompletableFuture.supplyAsync(() -> {
            try (Socket s = host.accept(); OutputStream out = s.getOutputStream()) {
                byte[] b = new byte[1 << 16];
                long sent = 0;
                long end = System.nanoTime() + seconds * 1_000_000_000L;
                while (System.nanoTime() < end) {
                    out.write(b);
                    sent += b.length;
                }
                return sent;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        long start = System.nanoTime();
        f.connect();
        long sent = source.get();
        f.fin();
        f.awaitClosed();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("host->guest: %.0f Mbit/s (%d MiB in %.1f s, guest received %d MiB)%n",
                f.received * 8 / s / 1e6, sent >> 20, s, f.received >> 20);
    }

    static void connections(GuestDriver guest, ServerSocket host, int n) throws Exception {
        CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                try (Socket s = host.accept()) {
                    s.getOutputStream().write('k');
                    s.shutdownOutput();
                    s.getInputStream().read();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }
        });
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            GuestDriver.Flow f = guest.flow(20000 + i, host.getLocalPort(), 65535);
            f.connect();
            f.fin();
            f.awaitClosed();
        }
        acceptor.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf("connections: %.0f/s (%d sequential connect, 1 byte, close)%n", n / s, n);
    }

    static long heap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    static void idleConnections(GuestDriver guest, ServerSocket host, int n) throws Exception {
        List<Socket> accepted = new ArrayList<>();
        CompletableFuture<Void> acceptor = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                try {
                    accepted.add(host.accept());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }
        });
        long before = heap();
        for (int i = 0; i < n; i++) {
            guest.flow(30000 + i, host.getLocalPort(), 65535).connect();
        }
        acceptor.get();
        long after = heap();
        System.out.printf("idle connection: %d bytes of heap each (%d open)%n", (after - before) / n, n);
        for (Socket s : accepted) {
            s.close();
        }
    }

    static void idleNetworks(EventLoop loop, int n) throws Exception {
        List<Sandbox> all = new ArrayList<>();
        long before = heap();
        for (int i = 0; i < n; i++) {
            all.add(sandbox(loop, false));
        }
        long after = heap();
        System.out.printf("idle sandbox network: %d bytes of heap each (%d attached, 1 shared selector thread)%n",
                (after - before) / n, n);
        for (Sandbox s : all) {
            s.stack().close();
            s.qemu().close();
        }
    }
}
