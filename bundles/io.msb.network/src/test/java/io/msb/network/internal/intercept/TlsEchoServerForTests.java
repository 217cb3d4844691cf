package io.msb.network.internal.intercept;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLServerSocket;

/**
 * An upstream HTTPS server on 127.0.0.1 for interception tests: its certificate (for {@code api.test}) is from a
 * throwaway CA of its own, and it answers each request with the request's head as the body (keep-alive).
 */
public final class TlsEchoServerForTests implements AutoCloseable {
    public final CertificateAuthority ca;
    public final Path caFile;
    private final SSLServerSocket server;

    public TlsEchoServerForTests(Path dir) throws Exception {
        ca = CertificateAuthority.inDirectory(dir);
        caFile = dir.resolve(CertificateAuthority.CERT_FILE);
        server = TlsForTests.server(ca, "api.test");
        daemon(this::accept, "upstream-echo");
    }

    public int port() {
        return server.getLocalPort();
    }

    private static void daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                daemon(() -> echo(s), "upstream-echo-conn");
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void echo(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            String head;
            while ((head = readHead(in)) != null) {
                byte[] body = head.getBytes(StandardCharsets.ISO_8859_1);
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().write(body);
                s.getOutputStream().flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** A request or response head, through its empty line; null at the end of the stream. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            if (b.size() >= 4 && b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
