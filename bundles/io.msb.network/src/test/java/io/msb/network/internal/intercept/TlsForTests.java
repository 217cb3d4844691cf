package io.msb.network.internal.intercept;

import java.net.InetAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.TrustManagerFactory;

/** TLS ends for interception tests and benches: a client that trusts one CA, a server with a leaf from one. */
public final class TlsForTests {
    private TlsForTests() {
    }

    /** A client context that trusts {@code ca} and nothing else. */
    public static SSLContext trusting(X509Certificate ca) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A TLS server socket on 127.0.0.1 (any free port) whose certificate for {@code name} is signed by {@code ca}. */
    public static SSLServerSocket server(CertificateAuthority ca, String name) throws Exception {
        CertificateAuthority.Leaf leaf = ca.leaf(name, 24, 10);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", leaf.key(), new char[0], leaf.chain());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
        kmf.init(ks, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 256, InetAddress.getLoopbackAddress());
    }
}
