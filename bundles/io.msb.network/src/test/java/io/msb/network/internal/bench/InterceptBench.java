package io.msb.network.internal.bench;

import io.msb.api.network.DnsConfig;
import io.msb.api.network.HostPattern;
import io.msb.api.network.Injection;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.TlsConfig;
import io.msb.network.internal.intercept.CertificateAuthority;
import io.msb.network.internal.intercept.Interception;
import io.msb.network.internal.intercept.SandboxIntercept;
import io.msb.network.internal.intercept.TlsForTests;
import io.msb.network.internal.policy.SandboxPolicy;
import io.msb.network.internal.stack.HostDialer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * What TLS interception and secret substitution cost (decisions 1300-1305), inside the JVM on 127.0.0.1 only: a
 * "guest" TLS client talks to an upstream HTTPS server on 127.0.0.1 straight, then through a sandbox's intercepting
 * proxy (the same code a VM's flows reach through the stack). Prints figures, asserts nothing. See
 * bench/network/README.md.
 */
public final class InterceptBench {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String SECRET = "sk-bench-0123456789abcdef";

    private InterceptBench() {
    }

    public static void main(String[] args) throws Exception {
        int connections = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 3000;
        Path dir = Files.createTempDirectory("intercept-bench");
        CertificateAuthority upstreamCa = CertificateAuthority.inDirectory(dir.resolve("upstream-ca"));
        try (Upstream upstream = new Upstream(upstreamCa); Interception interception =
                new Interception(dir.resolve("msb-tls"), List.of())) {
            TlsConfig tls = new TlsConfig(true, List.of(upstream.port()), List.of(), true, true,
                    List.of(dir.resolve("upstream-ca").resolve(CertificateAuthority.CERT_FILE).toString()), List.of(),
                    List.of(), null, null, 1000, 24);
            SecretsConfig secrets = new SecretsConfig(List.of(new SecretEntry("API_KEY", SECRET, null, null,
                    List.of(HostPattern.exact("api.test")), new Injection(true, true, false, true), null, true)), null);
            NetworkConfig config = new NetworkConfig(true, null, List.of(), NetworkPolicy.allowAll(),
                    new DnsConfig(false, List.of(), 1000), tls, secrets, 4096, null, false, false);
            SandboxIntercept sandbox = interception.attach("bench", config, SandboxPolicy.compile(config, List.of()),
                    new HostDialer(), reason -> { });
            Guest direct = new Guest(upstream.port(), upstreamCa.certificate(), null);
            Guest proxied = new Guest(upstream.port(), interception.installationCa().certificate(), sandbox);
            System.out.println("TLS interception, 127.0.0.1, JDK " + System.getProperty("java.version") + ", "
                    + Runtime.getRuntime().availableProcessors() + " CPUs");
            for (int round = 1; round <= 2; round++) {
                System.out.println("round " + round + (round == 1 ? " (JIT warm-up)" : ""));
                row("new connection + 1 request (ms)", direct.connects(connections), proxied.connects(connections));
                row("request on a kept-alive connection, a header placeholder (ms)", direct.requests(requests),
                        proxied.requests(requests));
                System.out.printf(Locale.ROOT, "  %-62s direct %7.1f   intercepted %7.1f%n",
                        "upload 64 MiB, body passed through (MB/s)", direct.upload(64 << 20, false),
                        proxied.upload(64 << 20, false));
                System.out.printf(Locale.ROOT, "  %-62s direct %7.1f   intercepted %7.1f%n",
                        "upload 8 MiB, placeholder in the body substituted (MB/s)", direct.upload(8 << 20, true),
                        proxied.upload(8 << 20, true));
            }
            sandbox.close();
        }
    }

    private static void row(String what, double[] direct, double[] proxied) {
        System.out.printf(Locale.ROOT, "  %-62s direct p50 %6.2f p99 %6.2f   intercepted p50 %6.2f p99 %6.2f%n", what,
                pct(direct, 50), pct(direct, 99), pct(proxied, 50), pct(proxied, 99));
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /** The guest's side: straight to upstream when {@code sandbox} is null, else through the sandbox's proxy. */
    private record Guest(int port, X509Certificate trusted, SandboxIntercept sandbox) {
        SSLSocket open() throws Exception {
            Socket raw;
            if (sandbox == null) {
                raw = new Socket(LOOPBACK, port);
            } else {
                SocketChannel ch = sandbox.tcp(new InetSocketAddress(LOOPBACK, port), LOOPBACK);
                ch.configureBlocking(true);
                ch.finishConnect();
                raw = ch.socket();
            }
            raw.setTcpNoDelay(true);
            SSLSocket s = (SSLSocket) TlsForTests.trusting(trusted).getSocketFactory().createSocket(raw, "api.test", 443, true);
            s.startHandshake();
            return s;
        }

        double[] connects(int n) throws Exception {
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                try (SSLSocket s = open()) {
                    exchange(s, 0, false);
                }
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            return ms;
        }

        double[] requests(int n) throws Exception {
            double[] ms = new double[n];
            try (SSLSocket s = open()) {
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    exchange(s, 0, false);
                    ms[i] = (System.nanoTime() - t) / 1e6;
                }
            }
            Arrays.sort(ms);
            return ms;
        }

        double upload(int bytes, boolean placeholder) throws Exception {
            try (SSLSocket s = open()) {
                long t = System.nanoTime();
                exchange(s, bytes, placeholder);
                return bytes / 1e6 / ((System.nanoTime() - t) / 1e9);
            }
        }

        private static void exchange(SSLSocket s, int body, boolean placeholder) throws IOException {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/x HTTP/1.1\r\nHost: api.test\r\nAuthorization: Bearer $MSB_API_KEY\r\n"
                    + "Content-Length: " + body + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            byte[] block = new byte[64 * 1024];
            Arrays.fill(block, (byte) 'x');
            if (placeholder && body >= 64) {
                byte[] p = "$MSB_API_KEY".getBytes(StandardCharsets.ISO_8859_1);
                System.arraycopy(p, 0, block, 0, p.length);
            }
            for (int left = body; left > 0; left -= block.length) {
                out.write(block, 0, Math.min(left, block.length));
            }
            out.flush();
            InputStream in = s.getInputStream();
            String head = head(in);
            if (head == null || !head.startsWith("HTTP/1.1 200")) {
                throw new IOException("upstream answered " + head);
            }
        }
    }

    static String head(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            b.append((char) c);
            if (b.length() >= 4 && b.charAt(b.length() - 1) == '\n' && b.toString().endsWith("\r\n\r\n")) {
                return b.toString();
            }
        }
        return null;
    }

    /** An HTTPS server on 127.0.0.1 that reads each request's Content-Length body and answers 200 with no body. */
    private static final class Upstream implements AutoCloseable {
        private final SSLServerSocket server;

        Upstream(CertificateAuthority ca) throws Exception {
            server = TlsForTests.server(ca, "api.test");
            Thread t = new Thread(this::accept, "bench-upstream");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "bench-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void serve(Socket s) {
            try (s) {
                s.setTcpNoDelay(true);
                InputStream in = s.getInputStream();
                byte[] sink = new byte[64 * 1024];
                String head;
                while ((head = head(in)) != null) {
                    int at = head.toLowerCase(Locale.ROOT).indexOf("content-length: ");
                    long left = at < 0 ? 0 : Long.parseLong(head.substring(at + 16, head.indexOf("\r\n", at)).trim());
                    while (left > 0) {
                        int n = in.read(sink, 0, (int) Math.min(sink.length, left));
                        if (n < 0) {
                            return;
                        }
                        left -= n;
                    }
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
