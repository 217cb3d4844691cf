package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import java.io.FileInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry serving HTTPS with a private CA: trusted through caCertificates, or skipped when marked insecure. */
class TlsRegistryTest {
    @Test
    void extraCaCertificatesAndInsecureRegistries(@TempDir Path dir, @TempDir Path h1, @TempDir Path h2,
            @TempDir Path h3) throws Exception {
        RegistryFixture.assumeInstalled();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assumeTrue(Files.isExecutable(keytool), "keytool is missing: TLS registry test skipped");
        Path p12 = dir.resolve("tls.p12");
        run(keytool.toString(), "-genkeypair", "-alias", "tls", "-keyalg", "RSA", "-keysize", "2048", "-dname",
                "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "changeit", "-keypass", "changeit");
        Path cert = dir.resolve("ca.pem");
        run(keytool.toString(), "-exportcert", "-rfc", "-alias", "tls", "-keystore", p12.toString(),
                "-storepass", "changeit", "-file", cert.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        Path key = dir.resolve("key.pem");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(ks.getKey("tls", "changeit".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");

        TestImages.Image image = TestImages.oneLayer("amd64", "over tls");
        try (RegistryFixture registry = RegistryFixture.startTls(dir, cert, key)) {
            push(registry, ks, image);
            String ref = registry.host() + "/tls/img:1";
            try (ImageEnv env = new ImageEnv(h1)) {
                // HTTPS fails verification; the loopback fallback to plain HTTP reaches a TLS port: both fail
                MsbException e = assertThrows(MsbException.class, () -> env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null));
                assertTrue(e.getMessage().startsWith("cannot reach registry " + registry.host() + " over HTTPS ("), e.getMessage());
                assertTrue(e.getMessage().contains("PKIX"), e.getMessage());
            }
            try (ImageEnv env = new ImageEnv(h2, s -> s.withCaCertificates(cert))) {
                assertEquals(image.manifestDigest(), env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null).manifestDigest());
            }
            try (ImageEnv env = new ImageEnv(h3, s -> s.withInsecure(Set.of(registry.host())))) {
                assertEquals(image.manifestDigest(), env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null).manifestDigest());
            }
        }
    }

    /** Pushes over HTTPS with a client that trusts the test CA. */
    private static void push(RegistryFixture registry, KeyStore trust, TestImages.Image image) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), new SecureRandom());
        HttpClient http = HttpClient.newBuilder().sslContext(ssl).build();
        HttpResponse<Void> ping = http.send(HttpRequest.newBuilder(URI.create("https://" + registry.host() + "/v2/")).build(),
                HttpResponse.BodyHandlers.discarding());
        assertEquals(200, ping.statusCode());
        new RegistryPusher(http, "https://" + registry.host()).push("tls/img", "1", image);
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }
}
