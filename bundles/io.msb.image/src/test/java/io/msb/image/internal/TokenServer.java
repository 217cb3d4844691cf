package io.msb.image.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Docker token server on loopback: checks Basic credentials and issues the RS256 JWTs that docker-registry's
 * {@code auth: token} verifies (x5c certificate chain against {@code rootcertbundle}). A real protocol peer.
 */
final class TokenServer implements AutoCloseable {
    static final String SERVICE = "msb-test-registry";
    static final String ISSUER = "msb-test-issuer";
    private final HttpServer server;
    private final PrivateKey key;
    private final Certificate cert;
    private final Path pem;
    private final String user;
    private final String password;
    final AtomicInteger issued = new AtomicInteger();

    private TokenServer(Path dir, String user, String password) throws Exception {
        this.user = user;
        this.password = password;
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        assumeTrue(Files.isExecutable(keytool), "keytool is missing from " + keytool + ": token auth test skipped");
        Path p12 = dir.resolve("token.p12");
        pem = dir.resolve("token.pem");
        run(keytool.toString(), "-genkeypair", "-alias", "token", "-keyalg", "RSA", "-keysize", "2048",
                "-sigalg", "SHA256withRSA", "-dname", "CN=msb-test-token", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", "changeit", "-keypass", "changeit");
        run(keytool.toString(), "-exportcert", "-rfc", "-alias", "token", "-keystore", p12.toString(),
                "-storepass", "changeit", "-file", pem.toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        key = (PrivateKey) ks.getKey("token", "changeit".toCharArray());
        cert = ks.getCertificate("token");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", this::token);
        server.start();
    }

    static TokenServer start(Path dir, String user, String password) throws Exception {
        return new TokenServer(dir, user, password);
    }

    String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The registry's {@code auth:} section. */
    String authYaml() {
        return "  token:\n    realm: " + realm() + "\n    service: " + SERVICE + "\n    issuer: " + ISSUER
                + "\n    rootcertbundle: " + pem + "\n";
    }

    private void token(HttpExchange ex) throws IOException {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (!expected.equals(auth)) {
            reply(ex, 401, "{\"details\":\"invalid credentials\"}");
            return;
        }
        Map<String, String> q = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        for (String kv : (raw == null ? "" : raw).split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String[] scope = q.getOrDefault("scope", "").split(":");
        var mapper = Manifests.json();
        var claims = mapper.createObjectNode();
        long now = Instant.now().getEpochSecond();
        claims.put("iss", ISSUER).put("sub", user).put("aud", q.getOrDefault("service", SERVICE))
                .put("exp", now + 300).put("nbf", now - 10).put("iat", now - 10).put("jti", UUID.randomUUID().toString());
        var access = claims.putArray("access");
        if (scope.length == 3) {
            var a = access.addObject().put("type", scope[0]).put("name", scope[1]);
            var actions = a.putArray("actions");
            for (String action : scope[2].split(",")) {
                actions.add(action);
            }
        }
        var header = mapper.createObjectNode().put("typ", "JWT").put("alg", "RS256");
        try {
            header.putArray("x5c").add(Base64.getEncoder().encodeToString(cert.getEncoded()));
            Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
            String signingInput = url.encodeToString(Manifests.toJson(header).getBytes(StandardCharsets.UTF_8)) + "."
                    + url.encodeToString(Manifests.toJson(claims).getBytes(StandardCharsets.UTF_8));
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            String jwt = signingInput + "." + url.encodeToString(s.sign());
            issued.incrementAndGet();
            reply(ex, 200, "{\"token\":\"" + jwt + "\",\"expires_in\":300}");
        } catch (Exception e) {
            reply(ex, 500, "{\"details\":\"" + e.getMessage() + "\"}");
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
