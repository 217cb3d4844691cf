package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.Action;
import io.msb.api.network.Destination;
import io.msb.api.network.Group;
import io.msb.api.network.HostPattern;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.network.PortRange;
import io.msb.api.network.Protocol;
import io.msb.api.network.Rule;
import io.msb.api.network.SecretEntry;
import io.msb.api.network.SecretsConfig;
import io.msb.api.network.TlsConfig;
import io.msb.api.network.ViolationAction;
import io.msb.testing.LocalRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets the guest uses but never reads (issue 16), end to end and only to 127.0.0.1: an HTTPS server on the host
 * with a certificate for {@code host.microsandbox.internal} from a throwaway CA (the sandbox's
 * {@code tls.upstream_ca_cert}) answers with the SHA-256 of each request header, so the proof that the real value
 * arrived never passes through the guest (whose output is the sandbox's log). A Debian guest with curl, without
 * {@code -k}: the placeholder in its request becomes the value; its environment holds only the placeholder; a
 * placeholder bound for a host its secret does not allow is refused (403, never reaching the server) and logged; a
 * {@code block-and-terminate} secret stops its sandbox with the reason recorded; and no file the server wrote (the
 * database, sandbox directories, logs, a snapshot) holds any secret value. Two VM boots.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class SecretInjectionIT {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HOST = "host.microsandbox.internal";
    private static final String TOKEN = "msbtok" + hex(20);
    private static final String OTHER = "msboth" + hex(20);
    private static final String TERM = "msbterm" + hex(20);

    @Test
    void theGuestUsesSecretsItCannotRead(Platform platform, @TempDir Path dir) throws Exception {
        assumeTrue(platform.networked(), "needs io.msb.network");
        Path layout = DebianImageIT.debianImage(dir, "debian-curl", "curl ca-certificates");
        Pki pki = Pki.create(dir);
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger network = Logger.getLogger("io.msb.network");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(String.valueOf(r.getMessage()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        network.addHandler(capture);
        List<String> names = new ArrayList<>();
        try (Echo echo = Echo.start(pki); LocalRegistry registry = LocalRegistry.start(dir)) {
            String ref = registry.host() + "/test/debian-curl:bookworm";
            DebianImageIT.run(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + layout + ":bookworm", "docker://" + ref);
            String url = "https://" + HOST + ":" + echo.port() + "/";

            SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-secret-inject").image(ref)
                    .replace(true).network(network(echo.port(), pki.caFile, new SecretsConfig(List.of(
                            SecretEntry.of("TOKEN", TOKEN, List.of(HostPattern.exact(HOST))),
                            SecretEntry.of("OTHER", OTHER, List.of(HostPattern.exact("api.example.com")))),
                            ViolationAction.BLOCK_AND_LOG), false)).build());
            names.add(box.name());

            // the guest trusts msb's CA (no -k), and the placeholder became the value on the way
            ExecResult ok = sh(box, "curl -sS --max-time 60 " + url + "ok -H \"Authorization: Bearer $TOKEN\"");
            assertTrue(ok.exit().success(), ok.stdoutText() + ok.stderrText());
            assertTrue(ok.stdoutText().contains("authorization=" + sha256("Bearer " + TOKEN)), ok.stdoutText());
            assertTrue(echo.authorizations().contains("Bearer " + TOKEN), echo.authorizations().toString());
            String ca = sh(box, "cat /usr/local/share/ca-certificates/msb-intercept-ca.crt").stdoutText();
            assertEquals(platform.network().interceptCaPem().orElseThrow().strip(), ca.strip());

            // the guest's environment holds the placeholders only
            ExecResult env = sh(box, "env | grep -E '^(TOKEN|OTHER)=' | sort");
            assertEquals("OTHER=$MSB_OTHER\nTOKEN=$MSB_TOKEN\n", env.stdoutText(), env.stderrText());

            // a placeholder bound for a host its secret does not allow: refused before it leaves, and logged
            int before = echo.requests();
            ExecResult refused = sh(box, "curl -sS --max-time 60 -o /dev/null -w '%{http_code}' " + url
                    + "violation -H \"Authorization: Bearer $OTHER\"");
            assertEquals("403", refused.stdoutText(), refused.stderrText());
            assertEquals(before, echo.requests(), "the server never saw the refused request");
            assertTrue(warnings.stream().anyMatch(w -> w.contains("OTHER") && w.contains(HOST)), warnings.toString());
            assertTrue(platform.network().counters(box.name()).orElseThrow().denials() >= 1);
            assertEquals(SandboxStatus.RUNNING, platform.runtime().get(box.name()).orElseThrow().status(),
                    "block-and-log keeps the sandbox running");

            // block-and-terminate: the sandbox stops, and says why
            SandboxHandle doomed = platform.runtime().create(SandboxSpec.builder("e2e-secret-terminate").image(ref)
                    .replace(true).network(network(echo.port(), pki.caFile, new SecretsConfig(List.of(
                            SecretEntry.of("TERM", TERM, List.of(HostPattern.exact("api.example.com")))),
                            ViolationAction.BLOCK_AND_TERMINATE), true)).build());
            names.add(doomed.name());
            assertTrue(platform.runtime().get(doomed.name()).orElseThrow().spec().network().strict());
            try {
                sh(doomed, "curl -sS --max-time 60 " + url + "terminate -H \"X-Api-Key: $TERM\"");
            } catch (RuntimeException e) {
                // the VM may be gone before the command's answer
            }
            SandboxInfo stopped = platform.runtime().waitFor(doomed.name(), Duration.ofSeconds(60));
            assertEquals(SandboxStatus.STOPPED, stopped.status());
            assertEquals(TerminationReason.SECRET_VIOLATION, stopped.currentRun().orElseThrow().reason());
            assertTrue(echo.paths().stream().noneMatch(p -> p.startsWith("/terminate")), echo.paths().toString());
            String log = logs(platform.home.resolve("sandboxes").resolve(doomed.name()));
            assertTrue(log.contains("the network requested termination: secret violation requested sandbox"
                    + " termination: TERM to " + HOST), log);

            platform.runtime().stop(box.name(), null);
            platform.snapshots().create("e2e-secret-snap", box.name(), Map.of(), true);
            names.add("snapshot");
            assertNoValueIn(platform.home);
        } finally {
            network.removeHandler(capture);
            for (String name : names) {
                try {
                    if (name.equals("snapshot")) {
                        platform.snapshots().remove("e2e-secret-snap");
                    } else {
                        platform.runtime().remove(name, true);
                    }
                } catch (RuntimeException e) {
                    // best effort
                }
            }
        }
        assertNoValueIn(platform.home); // the database after the removals, too
    }

    /** The public profile plus the echo server's port on the host, TLS intercepted there too. */
    private static NetworkConfig network(int port, Path ca, SecretsConfig secrets, boolean strict) {
        NetworkPolicy policy = NetworkPolicy.defaults().withRulesFirst(List.of(
                Rule.egress(Destination.group(Group.HOST), Action.ALLOW).protocols(Protocol.TCP)
                        .ports(PortRange.of(port))));
        TlsConfig tls = new TlsConfig(true, List.of(443, port), List.of(), true, true, List.of(ca.toString()),
                List.of(), List.of(), null, null, 1000, 24);
        return new NetworkConfig(true, null, List.of(), policy, null, tls, secrets,
                NetworkConfig.DEFAULT_MAX_CONNECTIONS, null, false, strict);
    }

    /** Every regular file under {@code home}: no secret value, in any encoding a file would hold it in clear. */
    private static void assertNoValueIn(Path home) throws IOException {
        List<byte[]> needles = new ArrayList<>();
        for (String v : List.of(TOKEN, OTHER, TERM)) {
            needles.add(v.getBytes(StandardCharsets.UTF_8));
            needles.add(v.getBytes(StandardCharsets.UTF_16LE)); // H2 may keep strings as UTF-16
            needles.add(Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8)).substring(0, 24)
                    .getBytes(StandardCharsets.UTF_8));
        }
        int files = 0;
        try (Stream<Path> walk = Files.walk(home)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(f);
                } catch (IOException gone) {
                    continue; // deleted while walking (a log rotated, a temporary file)
                }
                files++;
                for (byte[] needle : needles) {
                    assertFalse(indexOf(bytes, needle) >= 0, "a secret value is in " + f);
                }
            }
        }
        assertTrue(files > 10, "walked only " + files + " files under " + home);
    }

    private static String logs(Path sandboxDir) throws IOException {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> walk = Files.walk(sandboxDir.resolve("logs"))) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                all.append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A throwaway CA (its certificate in {@code caFile}) and a server key and certificate for {@link #HOST}. */
    record Pki(Path caFile, KeyStore serverKeys, char[] password) {
        static Pki create(Path dir) throws Exception {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            Instant now = Instant.now();
            Date from = Date.from(now.minus(1, ChronoUnit.HOURS));
            Date to = Date.from(now.plus(1, ChronoUnit.DAYS));
            KeyPair caKeys = g.generateKeyPair();
            X500Name caName = new X500Name("CN=msb e2e throwaway CA");
            X509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, from, to, caName,
                    caKeys.getPublic());
            cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            cab.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate ca = new JcaX509CertificateConverter().getCertificate(
                    cab.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
            KeyPair serverKeys = g.generateKeyPair();
            X509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(ca, BigInteger.TWO, from, to,
                    new X500Name("CN=" + HOST), serverKeys.getPublic());
            sb.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            sb.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.dNSName, HOST)));
            sb.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate server = new JcaX509CertificateConverter().getCertificate(
                    sb.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
            Path caFile = dir.resolve("upstream-ca.pem");
            Files.writeString(caFile, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64,
                    "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ca.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            char[] password = hex(8).toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", serverKeys.getPrivate(), password, new Certificate[] {server, ca});
            return new Pki(caFile, ks, password);
        }
    }

    /** HTTPS on 127.0.0.1 answering {@code name=sha256(value)} for every request header; it remembers what came. */
    static final class Echo implements AutoCloseable {
        private final HttpsServer server;
        private final List<String> authorizations = new CopyOnWriteArrayList<>();
        private final List<String> paths = new CopyOnWriteArrayList<>();

        private Echo(HttpsServer server) {
            this.server = server;
        }

        static Echo start(Pki pki) throws Exception {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(pki.serverKeys(), pki.password());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            HttpsServer s = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.setHttpsConfigurator(new HttpsConfigurator(tls));
            Echo echo = new Echo(s);
            s.createContext("/", exchange -> {
                echo.paths.add(exchange.getRequestURI().getPath());
                StringBuilder body = new StringBuilder();
                exchange.getRequestHeaders().forEach((name, values) -> {
                    for (String v : values) {
                        if (name.equalsIgnoreCase("Authorization")) {
                            echo.authorizations.add(v);
                        }
                        body.append(name.toLowerCase(java.util.Locale.ROOT)).append('=').append(sha256(v)).append('\n');
                    }
                });
                byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            });
            s.start();
            return echo;
        }

        int port() {
            return server.getAddress().getPort();
        }

        List<String> authorizations() {
            return authorizations;
        }

        List<String> paths() {
            return paths;
        }

        int requests() {
            return paths.size();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
