package io.msb.network.internal.stack;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;

/** A guest's TLS client (an SSLEngine) over the test guest's TCP: it trusts one CA and checks the server's name. */
final class GuestTlsForTests {
    private final GuestTcpForTests tcp;
    private final SSLEngine engine;
    private ByteBuffer netIn = ByteBuffer.allocate(64 * 1024);
    private final StringBuilder app = new StringBuilder();

    GuestTlsForTests(GuestTcpForTests tcp, String serverName, X509Certificate trusted) throws Exception {
        this.tcp = tcp;
        engine = io.msb.network.internal.intercept.TlsForTests.trusting(trusted).createSSLEngine(serverName, 443);
        engine.setUseClientMode(true);
        SSLParameters p = engine.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        engine.setSSLParameters(p);
    }

    void handshake() throws Exception {
        engine.beginHandshake();
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> wrap(ByteBuffer.allocate(0));
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrap();
                case NEED_TASK -> {
                    Runnable t;
                    while ((t = engine.getDelegatedTask()) != null) {
                        t.run();
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    void write(String text) throws Exception {
        wrap(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Reads until {@code marker} has arrived; returns everything up to and including it. */
    String readUntil(String marker) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (app.indexOf(marker) < 0) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no " + marker + " in " + app);
            }
            unwrap();
        }
        int at = app.indexOf(marker) + marker.length();
        String got = app.substring(0, at);
        app.delete(0, at);
        return got;
    }

    private void wrap(ByteBuffer src) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        do {
            out.clear();
            engine.wrap(src, out);
            out.flip();
            byte[] b = new byte[out.remaining()];
            out.get(b);
            if (b.length > 0) {
                tcp.write(b);
            }
        } while (src.hasRemaining());
    }

    /** Unwraps one record, reading from the stack as needed. */
    private void unwrap() throws Exception {
        ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        while (true) {
            netIn.flip();
            SSLEngineResult r = engine.unwrap(netIn, dst);
            netIn.compact();
            if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new EOFException("the TLS session was closed");
            }
            if (r.getStatus() == SSLEngineResult.Status.OK && (r.bytesConsumed() > 0 || r.bytesProduced() > 0)) {
                dst.flip();
                app.append(StandardCharsets.ISO_8859_1.decode(dst));
                return;
            }
            readMore();
        }
    }

    private void readMore() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            tcp.step(0.2);
            byte[] got = tcp.take(netIn.remaining());
            if (got.length > 0) {
                netIn.put(got);
                return;
            }
            if (tcp.reset || tcp.finReceived) {
                throw new IOException("the flow ended");
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("nothing came from the stack");
            }
        }
    }
}
