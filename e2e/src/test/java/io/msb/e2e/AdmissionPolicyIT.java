package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.testing.LocalRegistry;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18's third-party extension, as README "Extending msb" tells an administrator: the example admission policy
 * (examples/image-allowlist) is copied into a running server's {@code deploy/}; without a restart, a create of an
 * image outside its allow-list (one in a local registry) is refused with the policy's message and an allowed one
 * (builtin:busybox) gets the owner label. Then the jar is deleted: the same registry image is created, unlabelled.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class AdmissionPolicyIT {
    private static final String REFUSED = "refused by admission policy image-allowlist";
    /** Waiting for fileinstall to (un)install the bundle: a hang guard, the loop ends as soon as it shows. */
    private static final int POLLS = 600;
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void aPolicyDroppedIntoDeployTakesEffectAndIsGoneWhenRemoved(@TempDir Path dir) throws Exception {
        Platform.requireHostTools();
        for (String tool : List.of("/usr/bin/docker-registry", "/usr/bin/skopeo")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "AdmissionPolicyIT needs " + tool
                    + " (apt-get install docker-registry skopeo)");
        }
        Path bundle = Path.of(System.getProperty("msb.e2e.allowlistBundle", ""));
        assertTrue(Files.isRegularFile(bundle), "no example bundle (-Dmsb.e2e.allowlistBundle): " + bundle);
        Map<String, String> etc = Map.of("org.example.msb.allowlist.cfg",
                "allowedImagePrefixes = builtin:\nownerLabelKey = owner\nownerLabelValue = e2e-team\n");
        try (LocalRegistry registry = LocalRegistry.start(dir);
                MsbServer server = MsbServer.startBuilt(etc)) {
            String outside = registry.host() + "/e2e/busybox:1";
            Path deployed = server.deploy().resolve(bundle.getFileName());
            Files.copy(bundle, deployed);

            // until the bundle is active the create fails otherwise (the image is not in the registry yet)
            HttpResponse<String> refused = createUntil(server, "outside", outside, AdmissionPolicyIT::isRefusal);
            assertEquals(400, refused.statusCode(), refused.body());
            JsonNode error = json.readTree(refused.body());
            assertEquals("image", error.at("/error/details/field").asText(), refused.body());
            assertTrue(error.toString().contains(REFUSED + ": " + outside + " is not in the allow-list (allowed"
                    + " prefixes: builtin:)"), refused.body());

            server.msbOk("create", "--name", "allowed", "builtin:busybox");
            assertEquals(Map.of("owner", "e2e-team"), labels(server, "allowed"));

            // the refused image now exists: only the policy stands in the way
            Path archive = dir.resolve("busybox.tar");
            server.msbOk("image", "save", "builtin:busybox", "-o", archive.toString(), "--format", "oci");
            HostCommand.check(dir, List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci-archive:" + archive, "docker://" + outside), Map.of());
            assertTrue(isRefusal(create(server, "outside", outside)), "still refused while deployed");

            Files.delete(deployed);
            HttpResponse<String> created = createUntil(server, "outside", outside, r -> !isRefusal(r));
            assertEquals(2, created.statusCode() / 100, created.body() + server.logTail());
            assertEquals(Map.of(), labels(server, "outside"), "no owner label once the policy is gone");
            server.msbOk("create", "--name", "after", "builtin:busybox");
            assertEquals(Map.of(), labels(server, "after"));
        }
    }

    private static boolean isRefusal(HttpResponse<String> r) {
        return r.statusCode() == 400 && r.body().contains(REFUSED);
    }

    /** The create, repeated until its answer passes {@code until} (a created sandbox always does: it ends the loop). */
    private static HttpResponse<String> createUntil(MsbServer server, String name, String image,
            Predicate<HttpResponse<String>> until) throws IOException, InterruptedException {
        HttpResponse<String> r = null;
        for (int i = 0; i < POLLS; i++) {
            r = create(server, name, image);
            if (until.test(r) || r.statusCode() / 100 == 2) {
                return r;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the create never changed: " + r.statusCode() + " " + r.body() + server.logTail());
    }

    private static HttpResponse<String> create(MsbServer server, String name, String image)
            throws IOException, InterruptedException {
        return server.api("POST", "/v1/sandboxes?wait_for=running", "{\"name\":\"" + name + "\",\"image\":{\"type\":"
                + "\"oci\",\"reference\":\"" + image + "\"},\"network\":{\"enabled\":false}}");
    }

    private Map<String, String> labels(MsbServer server, String name) throws IOException, InterruptedException {
        HttpResponse<String> r = server.api("GET", "/v1/sandboxes/by-name/" + name, null);
        assertEquals(200, r.statusCode(), r.body());
        return json.convertValue(json.readTree(r.body()).at("/spec/labels"), new TypeReference<Map<String, String>>() { });
    }
}
