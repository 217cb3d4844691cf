package io.msb.image.internal;

import io.msb.api.spi.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fault injector, not a registry mock: a loopback TCP proxy in front of the real registry that forwards one
 * request per connection and can cut the first response whose request line contains a given fragment after N
 * bytes, or slow every response down. It records the request heads it forwarded.
 */
final class ConnectionDroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int upstreamPort;
    private final List<String> heads = new ArrayList<>();
    private volatile String dropFragment;
    private volatile long dropAfter;
    private volatile boolean stallInsteadOfDrop;
    private final AtomicLong bytesPerSecond = new AtomicLong();

    ConnectionDroppingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        DaemonThreads.start("dropping-proxy", this::acceptLoop);
    }

    String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Cuts the next response to a request containing {@code fragment} after {@code bytes} bytes. */
    void dropOnce(String fragment, long bytes) {
        stallInsteadOfDrop = false;
        dropAfter = bytes;
        dropFragment = fragment;
    }

    /** Like {@link #dropOnce} but keeps the connection open and silent until the client gives up. */
    void stallOnce(String fragment, long bytes) {
        stallInsteadOfDrop = true;
        dropAfter = bytes;
        dropFragment = fragment;
    }

    void throttle(long bps) {
        bytesPerSecond.set(bps);
    }

    synchronized List<String> requests() {
        return List.copyOf(heads);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                DaemonThreads.start("dropping-proxy-conn", () -> serve(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            String head = readHead(client.getInputStream());
            if (head == null) {
                return;
            }
            StringBuilder rewritten = new StringBuilder();
            for (String line : head.split("\r\n")) {
                if (!line.toLowerCase().startsWith("connection:")) {
                    rewritten.append(line).append("\r\n");
                }
            }
            rewritten.append("Connection: close\r\n\r\n");
            String requestLine = head.substring(0, head.indexOf("\r\n"));
            synchronized (this) {
                heads.add(head);
            }
            long limit = Long.MAX_VALUE;
            boolean stall = false;
            synchronized (this) {
                String fragment = dropFragment;
                if (fragment != null && requestLine.contains(fragment)) {
                    limit = dropAfter;
                    stall = stallInsteadOfDrop;
                    dropFragment = null;
                }
            }
            OutputStream up = upstream.getOutputStream();
            up.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.flush();
            InputStream in = upstream.getInputStream();
            OutputStream out = client.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            long sent = 0;
            for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, limit - sent))) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
                sent += n;
                if (sent >= limit) {
                    if (stall) {
                        client.getInputStream().read(); // silent until the client closes the connection
                    }
                    return; // drop the connection mid-response
                }
                long bps = bytesPerSecond.get();
                if (bps > 0) {
                    Thread.sleep(Math.max(1, n * 1000L / bps));
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client or registry went away; nothing to clean up beyond the sockets
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; (b = in.read()) >= 0; ) {
            if (head.size() == 0 && b == 0x16) {
                return null; // a TLS ClientHello: like a plain-HTTP server, refuse it so the client falls back
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (matched == 4) {
                String s = head.toString(StandardCharsets.ISO_8859_1);
                return s.substring(0, s.length() - 4);
            }
            if (head.size() > 64 * 1024) {
                return null;
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
