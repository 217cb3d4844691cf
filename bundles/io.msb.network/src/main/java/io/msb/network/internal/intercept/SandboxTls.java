package io.msb.network.internal.intercept;

import io.msb.api.InvalidConfigException;
import io.msb.api.network.TlsConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One sandbox's TLS: the context the guest's TLS is terminated with (leaves minted by the CA, ALPN what upstream chose)
 * and the context upstream servers are verified with (the JDK's trust store, the sandbox's and the service's
 * extra CAs, CAs scoped to host patterns, hostname verification; all of it off for hosts the sandbox says).
 */
final class SandboxTls {
    static final String HTTP_1_1 = "http/1.1";
    static final String H2 = "h2";
    /** HTTP/2 is offered upstream when the guest offers it (decision 1309); off, every flow speaks HTTP/1.1. */
    static final boolean OFFER_H2 = true;
    /**
     * Netty's HTTP/2 codec is an optional import (bnd.bnd): without it h2 is not offered, and every intercepted flow
     * speaks HTTP/1.1 (said once in the log).
     */
    static final boolean NETTY_H2 = nettyH2();

    private static boolean nettyH2() {
        try {
            Class.forName("io.netty.handler.codec.http2.DefaultHttp2FrameReader", false,
                    SandboxTls.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            System.getLogger(SandboxTls.class.getName()).log(System.Logger.Level.INFO, "network: HTTP/2 through TLS"
                    + " interception needs Netty 4.2 (netty-codec-http2 and the bundles it uses); offering http/1.1"
                    + " only");
            return false;
        }
    }
    static final int HANDSHAKE_TIMEOUT_MS = 15_000;

    private final TlsConfig tls;
    private final CertificateAuthority ca;
    private final LeafKeys leafKeys = new LeafKeys();
    private final SSLContext guestContext;
    private final SSLContext upstreamContext;

    SandboxTls(TlsConfig tls, CertificateAuthority ca, List<String> serviceCaFiles) {
        this.tls = tls;
        this.ca = ca;
        List<String> extra = new ArrayList<>(serviceCaFiles);
        extra.addAll(tls.upstreamCaCert());
        try {
            List<Scoped> scoped = new ArrayList<>();
            for (TlsConfig.Scoped<String> s : tls.scopedUpstreamCaCert()) {
                scoped.add(new Scoped(s.pattern(), trustManager(List.of(s.value()), "tls.scoped_upstream_ca_cert")));
            }
            TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            system.init((KeyStore) null);
            X509ExtendedTrustManager base = (X509ExtendedTrustManager) system.getTrustManagers()[0];
            upstreamContext = SSLContext.getInstance("TLS");
            upstreamContext.init(null, new TrustManager[] {new UpstreamTrust(base,
                    extra.isEmpty() ? null : trustManager(extra, "tls.upstream_ca_cert"), scoped)}, null);
            guestContext = SSLContext.getInstance("TLS");
            guestContext.init(new javax.net.ssl.KeyManager[] {leafKeys}, null, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("setting up TLS interception: " + e.getMessage(), e);
        }
    }

    /**
     * Opens TLS to the real server over {@code raw}, verifying it as the sandbox's settings say.
     *
     * @param serverName the guest's SNI (also sent upstream and verified), or null: then {@code address} is
     */
    SSLSocket connectUpstream(Socket raw, String serverName, String address, int port, List<String> offered)
            throws IOException {
        String host = serverName != null ? serverName : address;
        SSLSocket s = (SSLSocket) upstreamContext.getSocketFactory().createSocket(raw, host, port, true);
        s.setUseClientMode(true);
        return handshake(s, upstreamAlpn(offered), p -> {
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
        });
    }

    /**
     * Terminates the guest's TLS on {@code guest}, whose ClientHello (and anything after it) was already read
     * ({@code consumed}), with a leaf for {@code name}, offering the protocol upstream chose ({@code http/1.1} if it
     * chose none).
     */
    SSLSocket acceptGuest(Socket guest, byte[] consumed, String name, String upstreamProtocol) throws IOException {
        CertificateAuthority.Leaf leaf = ca.leaf(name, tls.cacheValidityHours(), tls.cacheCapacity());
        SSLSocket s = (SSLSocket) guestContext.getSocketFactory().createSocket(guest,
                new ByteArrayInputStream(consumed), true);
        leafKeys.add(s, leaf);
        try {
            String protocol = upstreamProtocol == null || upstreamProtocol.isEmpty() ? HTTP_1_1 : upstreamProtocol;
            return handshake(s, new String[] {protocol}, p -> { });
        } finally {
            leafKeys.remove(s);
        }
    }

    /** Sets ALPN (and what {@code more} says), then handshakes within the timeout; closes the socket on failure. */
    private static SSLSocket handshake(SSLSocket s, String[] alpn, Consumer<SSLParameters> more) throws IOException {
        try {
            SSLParameters p = s.getSSLParameters();
            p.setApplicationProtocols(alpn);
            more.accept(p);
            s.setSSLParameters(p);
            s.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            s.startHandshake();
            s.setSoTimeout(0);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /**
     * What is offered upstream: the guest's offer restricted to {@code h2} and {@code http/1.1}, in its order
     * ({@code http/1.1} alone if that leaves nothing); h2 only if it is on and Netty is there. The guest is then
     * offered what upstream chose, so h2 only goes where both sides speak it.
     */
    static String[] upstreamAlpn(List<String> guestOffer) {
        List<String> offer = new ArrayList<>();
        for (String p : guestOffer) {
            if ((p.equals(HTTP_1_1) || p.equals(H2) && OFFER_H2 && NETTY_H2) && !offer.contains(p)) {
                offer.add(p);
            }
        }
        return offer.isEmpty() ? new String[] {HTTP_1_1} : offer.toArray(String[]::new);
    }

    private static X509ExtendedTrustManager trustManager(List<String> files, String field) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            int n = 0;
            for (String f : files) {
                try (InputStream in = Files.newInputStream(Path.of(f))) {
                    for (Certificate c : cf.generateCertificates(in)) {
                        ks.setCertificateEntry("ca-" + n++, c);
                    }
                } catch (IOException | CertificateException e) {
                    throw new InvalidConfigException(field, field + ": cannot read CA certificates from " + f + ": "
                            + e.getMessage());
                }
            }
            if (n == 0) {
                throw new InvalidConfigException(field, field + ": no certificate in " + files);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            return (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("a trust store for " + field + ": " + e.getMessage(), e);
        }
    }

    private record Scoped(io.msb.api.network.HostPattern pattern, X509ExtendedTrustManager trust) {
    }

    /** Server certificates: trusted by the system, else by the extra CAs, else by a CA scoped to the host. */
    private final class UpstreamTrust extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager system;
        private final X509ExtendedTrustManager extra;
        private final List<Scoped> scoped;

        UpstreamTrust(X509ExtendedTrustManager system, X509ExtendedTrustManager extra, List<Scoped> scoped) {
            this.system = system;
            this.extra = extra;
            this.scoped = scoped;
        }

        private interface Check {
            void against(X509ExtendedTrustManager tm) throws CertificateException;
        }

        private void verify(SSLSession session, Check check) throws CertificateException {
            String host = session == null ? null : session.getPeerHost();
            if (host != null && !tls.verifies(host)) {
                return;
            }
            try {
                check.against(system);
                return;
            } catch (CertificateException notBySystem) {
                List<X509ExtendedTrustManager> more = new ArrayList<>();
                if (extra != null) {
                    more.add(extra);
                }
                for (Scoped s : scoped) {
                    if (s.pattern().matches(host)) {
                        more.add(s.trust());
                    }
                }
                for (X509ExtendedTrustManager tm : more) {
                    try {
                        check.against(tm); // each checks the chain and, with endpoint identification, the name
                        return;
                    } catch (CertificateException e) {
                        notBySystem.addSuppressed(e);
                    }
                }
                throw notBySystem;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            verify(((SSLSocket) socket).getHandshakeSession(), tm -> tm.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            verify(engine.getHandshakeSession(), tm -> tm.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("upstream certificates are verified with their connection");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the upstream side is a client only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** The minted leaf of each guest handshake under way, by its socket and by an alias of its own. */
    private static final class LeafKeys extends X509ExtendedKeyManager {
        private final Map<Socket, String> aliases = new ConcurrentHashMap<>();
        private final Map<String, CertificateAuthority.Leaf> leaves = new ConcurrentHashMap<>();
        private final AtomicLong next = new AtomicLong();

        void add(Socket s, CertificateAuthority.Leaf leaf) {
            String alias = "leaf-" + next.incrementAndGet();
            leaves.put(alias, leaf);
            aliases.put(s, alias);
        }

        void remove(Socket s) {
            String alias = aliases.remove(s);
            if (alias != null) {
                leaves.remove(alias);
            }
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            String alias = aliases.get(socket);
            CertificateAuthority.Leaf leaf = alias == null ? null : leaves.get(alias);
            return leaf != null && leaf.key().getAlgorithm().equals(keyType) ? alias : null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            CertificateAuthority.Leaf leaf = leaves.get(alias);
            return leaf == null ? null : leaf.chain();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            CertificateAuthority.Leaf leaf = leaves.get(alias);
            return leaf == null ? null : leaf.key();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
