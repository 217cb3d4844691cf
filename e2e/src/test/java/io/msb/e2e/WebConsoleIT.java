package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.msb.testing.LocalRegistry;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The msb pages of the Felix Web Console (io.msb.webconsole) in the distribution, driven in Debian's headless
 * chromium through playwright-core as a user would ({@code src/test/node/webconsole.mjs}): create a sandbox through the
 * form, see it running, open its detail, stop and remove it; hostile labels planted through the API show as text.
 * The screenshots stay in {@code target/webconsole/}. Skipped, with the reason, only when chromium or node is missing.
 */
class WebConsoleIT {
    static final String CHROMIUM = "/usr/bin/chromium";
    static final Path SKOPEO = Path.of("/usr/bin/skopeo");
    static final List<String> PACKAGES = List.of("playwright-core@1.65.1");
    private static MsbServer server;
    private static NodeSdk node;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        Platform.requireHostTools();
        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "the Web Console test needs Debian's chromium at " + CHROMIUM
                + "; scripts/setup installs it");
        node = NodeSdk.install(work.resolve("node"), PACKAGES);
        server = MsbServer.startBuilt();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aUserManagesSandboxesInTheBrowser(@TempDir Path work) throws Exception {
        HttpResponse<String> hostile = server.api("POST", "/v1/sandboxes?wait_for=running", "{\"name\":\"wc-hostile\","
                + "\"image\":{\"type\":\"oci\",\"reference\":\"" + Platform.IMAGE + "\"},"
                + "\"resources\":{\"vcpus\":1,\"memory_mib\":256},"
                + "\"labels\":{\"xss\":\"<script>alert(1)</script>\",\"attr\":\"\\\"><img src=x onerror=alert(2)>\"}}");
        assertEquals(2, hostile.statusCode() / 100, hostile.body());

        Path shots = Path.of("target/webconsole").toAbsolutePath();
        Files.createDirectories(shots);
        MsbServer.Login login = server.webConsoleLogin();
        Map<String, String> env = new HashMap<>(Map.of("CONSOLE_URL", server.url, "CONSOLE_USER", login.user(),
                "CONSOLE_PASSWORD", login.password(), "SHOTS", shots.toString(), "SANDBOX", "wc-form",
                "HOSTILE", "wc-hostile"));
        HostCommand.Result r;
        if (Files.isExecutable(LocalRegistry.BINARY) && Files.isExecutable(SKOPEO)) {
            try (LocalRegistry registry = LocalRegistry.start(work)) {
                // an image the page can pull for real: builtin:busybox, saved and pushed to a registry on loopback
                String reference = registry.host() + "/e2e/console:1";
                Path archive = work.resolve("busybox.tar");
                server.msbOk("image", "save", Platform.IMAGE, "-o", archive.toString(), "--format", "oci");
                HostCommand.check(work, List.of(SKOPEO.toString(), "copy", "--quiet", "--dest-tls-verify=false",
                        "oci-archive:" + archive, "docker://" + reference), Map.of());
                env.put("PULL_REF", reference);
                r = node.run("webconsole.mjs", env);
            }
        } else {
            System.out.println("WebConsoleIT: a pull through the Images page is not tried: it needs "
                    + LocalRegistry.BINARY + " and " + SKOPEO + " (scripts/setup installs both)");
            r = node.run("webconsole.mjs", env);
        }
        System.out.println(r.output());
        String context = r.output() + "\n--- the server's log, last lines:\n" + server.logTail();
        assertEquals(0, r.exit(), "webconsole.mjs failed:\n" + context);
        assertTrue(r.output().contains("PASSED webconsole"), context);
        assertTrue(Files.size(shots.resolve("webconsole-sandboxes.png")) > 10_000, "the listing's screenshot");
    }

    /** The console's login guards the pages; a form posted without its token or from another origin is refused. */
    @Test
    void actionsNeedTheLoginAndTheFormToken() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI page = URI.create(server.url + "/system/console/msb");
        for (String path : List.of("", "/status.json", "/metrics.json?name=x")) {
            assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(page + path)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode(), path);
        }
        MsbServer.Login login = server.webConsoleLogin();
        String basic = "Basic " + Base64.getEncoder().encodeToString((login.user() + ":" + login.password())
                .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> listing = http.send(HttpRequest.newBuilder(page).header("Authorization", basic).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, listing.statusCode());
        assertTrue(listing.body().contains("class=\"nicetable msb-sandboxes\""), listing.body());
        String token = listing.body().replaceFirst("(?s).*name=\"csrf\" value=\"([^\"]+)\".*", "$1");

        String form = "action=create&image=builtin%3Abusybox&name=wc-forged";
        assertEquals(403, post(http, page, basic, form, null).statusCode(), "no token");
        assertEquals(403, post(http, page, basic, form + "&csrf=" + token, "http://evil.example").statusCode(),
                "another origin");
        HttpResponse<String> bad = post(http, page, basic, "action=create&image=builtin%3Abusybox&name=&csrf=" + token,
                server.url);
        assertEquals(303, bad.statusCode(), "with the token and the console's origin the action runs: " + bad.body());
        URI next = page.resolve(bad.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> shown = http.send(HttpRequest.newBuilder(next).header("Authorization", basic).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(shown.body().contains("<b class=\"msb-field\">name</b>: <span class=\"msb-text\">required<"),
                shown.body());
    }

    private static HttpResponse<String> post(HttpClient http, URI page, String basic, String form, String origin)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(page).header("Authorization", basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (origin != null) {
            b.header("Origin", origin);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
