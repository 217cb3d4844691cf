package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxService;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.fs.SandboxFs;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routing table ({@link Routes}) is what {@link ApiServlet} serves: each of its routes gets past the table and
 * is answered by a handler (never "no such route" nor 405), a request the table lacks is refused before any handler,
 * and the key is needed exactly where openapi.json says. The services behind the servlet are fakes that know no
 * sandbox and refuse every other call (501): what is checked is the routing, not what a route does.
 */
class RoutingTest {
    private static final String KEY = "msb_test-key";
    private static final String VERSION = "9.9.9-test";
    private static final UUID ID = UUID.fromString("6f1c1f37-7f0e-4b8c-9a55-0d7a3c1e2b44");

    @TempDir
    Path home;
    private ApiServlet servlet;

    @BeforeEach
    void servlet() throws Exception {
        HttpApiConfig config = Exchange.proxy(HttpApiConfig.class, (name, args) -> switch (name) {
            case "apiKeys" -> new String[] {KEY};
            case "home" -> home.toString();
            default -> defaultOf(name);
        });
        SandboxService sandboxes = Exchange.proxy(SandboxService.class, (name, args) -> switch (name) {
            case "get" -> Optional.empty();
            case "list" -> List.of();
            case "withSandbox" -> throw new NotFoundException("sandbox", args[0].toString());
            default -> throw new UnsupportedFeatureException("fake SandboxService: " + name);
        });
        servlet = new ApiServlet(sandboxes, config, VERSION);
        // a volume to reach the file routes' own dispatch; its files fail every call
        SandboxFs files = Exchange.proxy(SandboxFs.class, (name, args) -> {
            throw new UnsupportedFeatureException("fake SandboxFs: " + name);
        });
        VolumeInfo volume = new VolumeInfo(ID, VolumeSpec.directory("data"), home.resolve("data"), Instant.EPOCH,
                Instant.EPOCH, 0, List.of());
        VolumeService volumes = Exchange.proxy(VolumeService.class, (name, args) -> switch (name) {
            case "getById" -> Optional.of(volume);
            case "files" -> files;
            default -> throw new UnsupportedFeatureException("fake VolumeService: " + name);
        });
        Field field = ApiServlet.class.getDeclaredField("volumes"); // what DS sets
        field.setAccessible(true);
        field.set(servlet, volumes);
    }

    private static Object defaultOf(String method) {
        try {
            return HttpApiConfig.class.getMethod(method).getDefaultValue();
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    /** A concrete path for a template: the sandbox or volume id, a name, an image reference with slashes. */
    private static String concrete(String template) {
        return template.replace("{id}", ID.toString()).replace("{name}", "n1")
                .replace(Routes.MULTI_SEGMENT, "docker.io/library/alpine:3.20");
    }

    private Exchange send(String method, String uri, boolean withKey) throws Exception {
        Exchange exchange = new Exchange(method, uri, "");
        if (withKey) {
            exchange.header("Authorization", "Bearer " + KEY);
        }
        // a file route needs its path header before it dispatches on the verb
        exchange.header(VolumeRoutes.PATH_HEADER, Base64.getUrlEncoder().withoutPadding().encodeToString("/f".getBytes()));
        servlet.service(exchange.request(), exchange.response());
        return exchange;
    }

    private static JsonNode json(Exchange exchange) throws Exception {
        return Json.MAPPER.readTree(exchange.body.toByteArray());
    }

    private static String code(Exchange exchange) throws Exception {
        return json(exchange).at("/error/code").asText();
    }

    @Test
    void everyKeyedRouteReachesAHandler() throws Exception {
        List<String> unrouted = new ArrayList<>();
        for (Routes.Route route : Routes.KEYED) {
            Exchange answer = send(route.method(), concrete(route.template()), true);
            String code = answer.status == 200 ? "" : code(answer);
            if (answer.status == 405 || answer.status == 401 || code.equals("not_found")) {
                unrouted.add(route + " -> " + answer.status + " " + answer.body);
            }
        }
        assertEquals(List.of(), unrouted, "routes in the table that no handler serves");
    }

    @Test
    void aPathTheTableLacksIsRefusedBeforeAnyHandler() throws Exception {
        for (String uri : List.of("/v1/nothing", "/v1/sandboxes/" + ID + "/bogus", "/v1/sandboxes/" + ID + "/network",
                "/v1/volumes/" + ID + "/files/bogus", "/v1/snapshots/s/branch/x", "/v1/info/x", "/v1/sandboxes//start",
                "/v1/")) {
            Exchange answer = send("GET", uri, true);
            assertEquals(404, answer.status, uri);
            assertEquals("not_found", code(answer), uri);
        }
    }

    @Test
    void aMethodTheTableLacksIs405WithTheTablesMethodsInAllow() throws Exception {
        Exchange put = send("PUT", "/v1/sandboxes", true);
        assertEquals(405, put.status);
        assertEquals("GET, HEAD, POST", put.responseHeaders.get("allow"));
        Exchange post = send("POST", "/v1/sandboxes/by-name/n1/logs", true);
        assertEquals(405, post.status);
        assertEquals("GET, HEAD", post.responseHeaders.get("allow"));
        Exchange get = send("GET", "/v1/volumes/" + ID + "/files/mkdir", true);
        assertEquals("POST", get.responseHeaders.get("allow"));
    }

    @Test
    void everyKeyedRouteNeedsTheKeyAndTheOpenOnesDoNot() throws Exception {
        for (Routes.Route route : Routes.KEYED) {
            Exchange answer = send(route.method(), concrete(route.template()), false);
            assertEquals(401, answer.status, route.toString());
            assertEquals("invalid_api_key", code(answer), route.toString());
            assertEquals("Bearer", answer.responseHeaders.get("www-authenticate"), route.toString());
        }
        for (Routes.Route route : Routes.OPEN) {
            assertEquals(200, send(route.method(), route.template(), false).status, route.toString());
        }
    }

    @Test
    void openApiJsonIsTheBundledDocumentWithTheServersVersion() throws Exception {
        Exchange answer = send("GET", "/v1/openapi.json", false);
        assertEquals(200, answer.status);
        assertEquals("application/json", answer.responseHeaders.get("content-type"));
        ObjectNode expected = (ObjectNode) OpenApiDocument.read();
        ((ObjectNode) expected.get("info")).put("version", VERSION);
        assertEquals(expected, json(answer));
        assertEquals("public, max-age=300", answer.responseHeaders.get("cache-control"));
        String etag = answer.responseHeaders.get("etag");
        assertNotNull(etag);
        assertTrue(etag.matches("\"[0-9a-f]{32}\""), etag);

        Exchange head = send("HEAD", "/v1/openapi.json", false);
        assertEquals(200, head.status);
        assertEquals(etag, head.responseHeaders.get("etag"));
    }

    @Test
    void openApiJsonRevalidatesWithItsEtag() throws Exception {
        String etag = send("GET", "/v1/openapi.json", false).responseHeaders.get("etag");
        Exchange same = new Exchange("GET", "/v1/openapi.json", "").header("If-None-Match", etag);
        servlet.service(same.request(), same.response());
        assertEquals(304, same.status);
        assertEquals(0, same.body.size());
        assertEquals(etag, same.responseHeaders.get("etag"));

        Exchange other = new Exchange("GET", "/v1/openapi.json", "").header("If-None-Match", "\"0123\"");
        servlet.service(other.request(), other.response());
        assertEquals(200, other.status);
        assertNotEquals(0, other.body.size());
    }

    @Test
    void postToOpenApiJsonIsNotServedWithoutTheKey() throws Exception {
        Exchange answer = send("POST", "/v1/openapi.json", false);
        assertEquals(401, answer.status, "only GET and HEAD are public");
        Exchange keyed = send("POST", "/v1/openapi.json", true);
        assertEquals(404, keyed.status);
    }

    @Test
    void theAgentSocketRouteIsTheFilters() {
        Exchange upgrade = new Exchange("GET", concrete(Routes.AGENT_SOCKET.template()), "");
        assertEquals(ID.toString(), AgentSocketFilter.agentRoute(upgrade.request()));
        assertFalse(Routes.KEYED.contains(Routes.AGENT_SOCKET), "the servlet does not serve the upgrade itself");
    }

    @Test
    void aReferenceSpansSegmentsAndNoTemplateMatchesAnEmptySegment() {
        assertTrue(Routes.matches("/v1/images/{reference}/archive", List.of("images", "ghcr.io", "a", "b:1", "archive")));
        assertTrue(Routes.matches("/v1/images/{reference}", List.of("images", "alpine")));
        assertFalse(Routes.matches("/v1/images/{reference}/archive", List.of("images", "archive")));
        assertFalse(Routes.matches("/v1/sandboxes/{id}", List.of("sandboxes", "")));
        assertFalse(Routes.matches("/v1/sandboxes/{id}", List.of("sandboxes", "a", "b")));
    }
}
