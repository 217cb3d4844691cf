package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Servlet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The HTTP API (io.msb.http on Felix HTTP Jetty 12) driven with java.net.http against the real runtime, store,
 * rootfs builder and guest agent. The "VM" of every sandbox is the real agentd running as a host process (the
 * runtime's unit-test arrangement, decision 0010), so boot, exec, stop and remove run for real in seconds.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HttpApiIT extends HttpApiTestBase {
    private static final String KEY = HttpApiPlatform.KEY;
    private static final String BACKEND = HttpApiPlatform.BACKEND;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IDLE_TIMEOUT_MS = 10_000;
    private static volatile boolean prepared;


    @Configuration
    @Override
    public Option[] config() throws IOException {
        return HttpApiPlatform.options(getClass(),
                // a stalled request body fails after this idle time (decision 1007); the exec stream's
                // keep-alive lines (every 5 s) keep long commands well inside it
                frameworkProperty("org.apache.felix.http.timeout").value(String.valueOf(IDLE_TIMEOUT_MS)));
    }

    /** Once per framework: the agentd "VMM" is registered and made the runtime's backend, and HTTP answers. */
    @Before
    public void prepare() throws Exception {
        if (prepared) {
            return;
        }
        HttpApiPlatform.useAgentdAsTheVmm(context, http);
        prepared = true;
    }

    @Test
    public void requestsWithoutTheKeyAreRefused() throws Exception {
        Reply none = send("GET", "/v1/sandboxes", null, null);
        assertEquals(401, none.status());
        assertEquals("invalid_api_key", none.json().path("error").path("code").asText());
        assertEquals(401, send("GET", "/v1/sandboxes", null, "wrong").status());
        assertEquals(401, send("DELETE", "/v1/sandboxes/by-name/x", null, "Bearer").status());

        Reply version = send("GET", "/v1/version", null, null);
        assertEquals("the version probe needs no key", 200, version.status());
        assertEquals(7, version.json().get("protocol").asInt());
        assertTrue(version.json().get("version").asText().startsWith("0.1.0"));
    }

    @Test
    public void aSandboxLivesAndDiesThroughTheApi() throws Exception {
        // Sent as curl -d sends it (a form content type): the body is still read as JSON.
        HttpResponse<String> asForm = http.send(HttpRequest.newBuilder(
                HttpApiPlatform.uri(context, "/v1/sandboxes?wait_for=running"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(create("life", "{\"team\":\"life\"}"))).build(),
                HttpResponse.BodyHandlers.ofString());
        Reply created = new Reply(asForm.statusCode(), asForm.body());
        assertEquals(created.body(), 200, created.status());
        JsonNode sandbox = created.json();
        assertEquals("life", sandbox.get("name").asText());
        assertEquals("running", sandbox.get("status").asText());
        assertEquals("life", sandbox.get("spec").get("labels").get("team").asText());
        assertFalse(sandbox.get("started_at").isNull());
        String id = sandbox.get("id").asText();

        assertEquals(id, api("GET", "/v1/sandboxes/by-name/life", null).json().get("id").asText());
        assertEquals("life", api("GET", "/v1/sandboxes/" + id, null).json().get("name").asText());
        assertEquals(List.of("life"), names(api("GET", "/v1/sandboxes?labels=" + query("{\"team\":\"life\"}"), null)));
        assertEquals(List.of(), names(api("GET", "/v1/sandboxes?labels=" + query("{\"team\":\"nobody\"}"), null)));

        Reply again = api("POST", "/v1/sandboxes", create("life", null));
        assertEquals(409, again.status());
        assertEquals("name_already_exists", code(again));

        List<JsonNode> events = exec("life", "{\"cmd\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 3\"]}");
        assertEquals("started", events.get(0).get("type").asText());
        assertEquals("out\n", output(events, "stdout"));
        assertEquals("err\n", output(events, "stderr"));
        JsonNode exit = events.get(events.size() - 1);
        assertEquals("exit", exit.get("type").asText());
        assertEquals(3, exit.get("code").asInt());
        assertEquals(0, exit.get("signal").asInt());

        String stdin = Base64.getEncoder().encodeToString("fed through stdin".getBytes(StandardCharsets.UTF_8));
        assertEquals("fed through stdin", output(exec("life", "{\"cmd\":[\"cat\"],\"stdin\":\"" + stdin + "\"}"), "stdout"));
        List<JsonNode> missing = exec("life", "{\"cmd\":[\"/no/such/program\"]}");
        JsonNode error = missing.get(missing.size() - 1);
        assertEquals(missing.toString(), "error", error.get("type").asText());
        assertEquals("not_found", error.get("kind").asText());

        Reply stopped = api("POST", "/v1/sandboxes/by-name/life/stop", "");
        assertEquals(stopped.body(), 200, stopped.status());
        assertEquals("stopped", stopped.json().get("status").asText());
        assertEquals("invalid_state_transition", code(api("POST", "/v1/sandboxes/by-name/life/stop", "")));
        Reply execStopped = api("POST", "/v1/sandboxes/by-name/life/exec", "{\"cmd\":[\"true\"]}");
        assertEquals(409, execStopped.status());
        assertEquals("invalid_state_transition", code(execStopped));

        Reply started = api("POST", "/v1/sandboxes/" + id + "/start", "");
        assertEquals(started.body(), 200, started.status());
        assertEquals("running", started.json().get("status").asText());
        Reply killed = api("POST", "/v1/sandboxes/" + id + "/kill", "");
        assertEquals(killed.body(), 200, killed.status());
        assertEquals("stopped", killed.json().get("status").asText());
        assertEquals("invalid_state_transition", code(api("POST", "/v1/sandboxes/by-name/life/kill", "")));
        Reply restarted = api("POST", "/v1/sandboxes/by-name/life/start", "");
        assertEquals(restarted.body(), 200, restarted.status());

        // msb's pause/resume (decision 1224): the sandbox answers paused, guest calls are refused until resumed
        Reply paused = api("POST", "/v1/sandboxes/" + id + "/pause", "");
        assertEquals(paused.body(), 200, paused.status());
        assertEquals("paused", paused.json().get("status").asText());
        assertEquals("paused", api("POST", "/v1/sandboxes/by-name/life/pause", "").json().get("status").asText());
        assertEquals("paused", api("GET", "/v1/sandboxes/" + id, null).json().get("status").asText());
        Reply execPaused = api("POST", "/v1/sandboxes/by-name/life/exec", "{\"cmd\":[\"true\"]}");
        assertEquals(execPaused.body(), 409, execPaused.status());
        assertTrue(execPaused.body(), execPaused.body().contains("resume it first"));
        assertEquals(405, api("GET", "/v1/sandboxes/" + id + "/resume", null).status());
        Reply resumed = api("POST", "/v1/sandboxes/by-name/life/resume", "");
        assertEquals(resumed.body(), 200, resumed.status());
        assertEquals("running", resumed.json().get("status").asText());
        assertEquals("fine", output(exec("life", "{\"cmd\":[\"echo\",\"-n\",\"fine\"]}"), "stdout"));

        Reply deleted = api("DELETE", "/v1/sandboxes/by-name/life", null);
        assertEquals("a running sandbox is stopped, then removed: " + deleted.body(), 200, deleted.status());
        assertTrue(deleted.json().get("message").asText().contains("life"));
        Reply gone = api("GET", "/v1/sandboxes/by-name/life", null);
        assertEquals(404, gone.status());
        assertEquals("sandbox_not_found", code(gone));
        assertEquals(404, api("DELETE", "/v1/sandboxes/by-name/life", null).status());
        assertEquals(404, api("GET", "/v1/sandboxes/" + id, null).status());
    }

    /**
     * The 0.6.18 SDK's own default create body (facts §2.3; only the image is a local disk here, since nothing is
     * pulled in this test) and the routes 0.6.18 then uses: by id for get/stop/start/delete, by name for polling.
     * Ids are random and kept: the same name made again is a new sandbox with a new id.
     */
    @Test
    public void theSdksDefaultBodyAndItsIdRoutes() throws Exception {
        String sdkBody = "{\"name\":\"sdk\",\"image\":{\"type\":\"oci\",\"reference\":\"alpine\"},"
                + "\"resources\":{\"vcpus\":1,\"memory_mib\":512},\"runtime\":{\"workdir\":null,\"shell\":null,"
                + "\"scripts\":{},\"entrypoint\":null,\"cmd\":null,\"user\":null,\"log_level\":null},\"env\":[],"
                + "\"labels\":{},\"rlimits\":[],\"mounts\":[],\"patches\":[],\"network\":{\"enabled\":true,"
                + "\"strict\":false},\"init\":null,\"pull_policy\":\"if_missing\",\"security_profile\":\"default\","
                + "\"lifecycle\":{\"ephemeral\":false,\"max_duration_secs\":null,\"idle_timeout_secs\":null}}";
        String local = create("sdk", null);
        String image = local.substring(local.indexOf("\"image\":") + 8, local.length() - 1);
        String body = sdkBody.replace("{\"type\":\"oci\",\"reference\":\"alpine\"}", image);

        Reply created = api("POST", "/v1/sandboxes?start=true&wait_for=running&wait_timeout=90", body);
        assertEquals(created.body(), 200, created.status());
        String id = created.json().get("id").asText();
        try {
            for (String field : List.of("id", "org_id", "name", "slug", "status", "ephemeral", "created_at")) {
                assertFalse(field + " in " + created.body(), created.json().path(field).isMissingNode()
                        || created.json().get(field).isNull());
            }
            assertEquals("running", created.json().get("status").asText());
            assertEquals(512, created.json().at("/spec/resources/memory_mib").asInt());

            assertEquals("sdk", api("GET", "/v1/sandboxes/" + id, null).json().get("name").asText());
            Reply stopped = api("POST", "/v1/sandboxes/" + id + "/stop", "{}");
            assertEquals(stopped.body(), 200, stopped.status());
            assertEquals("stopped", api("GET", "/v1/sandboxes/by-name/sdk", null).json().get("status").asText());
            assertFalse(api("GET", "/v1/sandboxes/by-name/sdk", null).json().get("stopped_at").isNull());
            Reply started = api("POST", "/v1/sandboxes/" + id + "/start?wait_for=running&wait_timeout=90", "{}");
            assertEquals(started.body(), 200, started.status());
            assertEquals("running", started.json().get("status").asText());
            assertEquals("wait_for: must be running",
                    message(api("POST", "/v1/sandboxes/" + id + "/start?wait_for=stopped", "{}")));

            Reply deleted = api("DELETE", "/v1/sandboxes/" + id, null);
            assertEquals(deleted.body(), 200, deleted.status());
            assertTrue(deleted.json().get("message").isTextual());
            Reply gone = api("GET", "/v1/sandboxes/" + id, null);
            assertEquals(404, gone.status());
            assertEquals("sandbox_not_found", code(gone));

            Reply again = api("POST", "/v1/sandboxes", body);
            assertEquals(again.body(), 200, again.status());
            assertFalse("a new sandbox under the old name has a new id", id.equals(again.json().get("id").asText()));
            assertEquals("the old id does not reach the new sandbox", 404, api("GET", "/v1/sandboxes/" + id, null).status());
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/sdk", null);
        }
    }

    /**
     * An ephemeral sandbox is removed by its stop, yet the SDK's stop polls by name for {@code stopped}: for a while
     * the API answers its last state (decision 1025); lists leave it out, and a create of the name replaces it.
     */
    @Test
    public void aStoppedEphemeralSandboxAnswersStoppedUntilItsNameIsReused() throws Exception {
        String plain = create("eph", null);
        String body = plain.substring(0, plain.length() - 1) + ",\"lifecycle\":{\"ephemeral\":true}}";
        Reply created = api("POST", "/v1/sandboxes", body);
        assertEquals(created.body(), 200, created.status());
        String id = created.json().get("id").asText();
        try {
            Reply stopped = api("POST", "/v1/sandboxes/" + id + "/stop", "{}");
            assertEquals(stopped.body(), 200, stopped.status());
            assertEquals("stopped", stopped.json().get("status").asText());
            for (String path : List.of("/v1/sandboxes/by-name/eph", "/v1/sandboxes/" + id)) {
                Reply polled = api("GET", path, null);
                assertEquals(polled.body(), 200, polled.status());
                assertEquals("stopped", polled.json().get("status").asText());
                assertEquals(id, polled.json().get("id").asText());
            }
            assertFalse(api("GET", "/v1/sandboxes", null).body().contains("\"eph\""));
            assertEquals(404, api("POST", "/v1/sandboxes/" + id + "/start", "{}").status());

            Reply again = api("POST", "/v1/sandboxes", body);
            assertEquals(again.body(), 200, again.status());
            assertEquals("running", api("GET", "/v1/sandboxes/by-name/eph", null).json().get("status").asText());
            assertEquals("the old id is gone once the name is reused", 404,
                    api("GET", "/v1/sandboxes/" + id, null).status());
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/eph", null);
        }
        Reply removed = api("DELETE", "/v1/sandboxes/by-name/eph", null);
        assertEquals("removed, not stopped: nothing answers for it", 404, removed.status());
    }

    /** Every refusal the servlet makes before a route runs has the SDK's error body and code. */
    @Test
    public void refusalsBeforeARouteRunsHaveTheSdksCodes() throws Exception {
        HttpResponse<String> put = http.send(request("PUT", "/v1/sandboxes", "{}", "Bearer " + KEY),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, put.statusCode());
        assertEquals("GET, HEAD, POST", put.headers().firstValue("Allow").orElse(null));
        assertEquals("invalid_request", code(new Reply(put.statusCode(), put.body())));
        Reply stopByGet = api("GET", "/v1/sandboxes/by-name/x/stop", null);
        assertEquals(405, stopByGet.status());
        assertEquals("POST", stopByGet.json().at("/error/details/allow").asText());

        HttpResponse<String> text = http.send(HttpRequest.newBuilder(HttpApiPlatform.uri(context, "/v1/sandboxes"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(create("typed", null))).build(),
                HttpResponse.BodyHandlers.ofString());
        Reply unsupported = new Reply(text.statusCode(), text.body());
        assertEquals(text.body(), 415, unsupported.status());
        assertEquals("invalid_request", code(unsupported));
        assertEquals("Content-Type: must be application/json (got text/plain)", message(unsupported));
        assertEquals(404, api("GET", "/v1/sandboxes/by-name/typed", null).status());

        // refused on its Content-Length, before the body is sent
        Raw big = raw("POST /v1/sandboxes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + (2 << 20) + "\r\n\r\n");
        assertEquals(413, big.status());
        assertEquals(big.body(), "invalid_request", code(new Reply(big.status(), big.body())));

        for (String id : List.of("not-a-uuid", java.util.UUID.randomUUID().toString())) {
            Reply missing = api("POST", "/v1/sandboxes/" + id + "/stop", "{}");
            assertEquals(id, 404, missing.status());
            assertEquals(id, "sandbox_not_found", code(missing));
        }
    }

    @Test
    public void listsArePagedByCursor() throws Exception {
        for (String name : List.of("page-a", "page-b", "page-c")) {
            Reply r = api("POST", "/v1/sandboxes", create(name, "{\"page\":\"x\"}"));
            assertEquals(r.body(), 200, r.status());
        }
        try {
            String labels = "labels=" + query("{\"page\":\"x\"}");
            JsonNode first = api("GET", "/v1/sandboxes?limit=2&" + labels, null).json();
            assertEquals(List.of("page-a", "page-b"), names(first));
            assertTrue(first.get("has_more").asBoolean());
            JsonNode second = api("GET", "/v1/sandboxes?limit=2&" + labels + "&cursor="
                    + first.get("next_cursor").asText(), null).json();
            assertEquals(List.of("page-c"), names(second));
            assertFalse(second.get("has_more").asBoolean());
            assertTrue(second.get("next_cursor").isNull());
            assertEquals("limit: must be an integer 1..100", message(api("GET", "/v1/sandboxes?limit=0", null)));
        } finally {
            for (String name : List.of("page-a", "page-b", "page-c")) {
                api("DELETE", "/v1/sandboxes/by-name/" + name, null);
            }
        }
    }

    @Test
    public void badRequestsSayWhichFieldBreaksWhichRule() throws Exception {
        assertEquals("resourcez: unknown field",
                message(api("POST", "/v1/sandboxes", "{\"name\":\"bad\",\"resourcez\":{}}")));
        assertEquals("resources.vcpus: must be a whole number from 1 to 2147483647 (omit it for the default)",
                message(api("POST", "/v1/sandboxes", "{\"name\":\"bad\",\"image\":{\"type\":\"oci\",\"reference\":\"x\"},"
                        + "\"resources\":{\"vcpus\":0}}")));
        // limits are the backend's, checked once by the runtime: the error names the field, value and range
        Reply small = api("POST", "/v1/sandboxes", "{\"name\":\"bad\",\"image\":{\"type\":\"oci\",\"reference\":"
                + "\"builtin:busybox\"},\"resources\":{\"memory_mib\":32}}");
        assertEquals(400, small.status());
        assertEquals("invalid config: memoryMib: 32 is outside 64..1048576 supported by backend " + BACKEND, message(small));
        Reply badImage = api("POST", "/v1/sandboxes", "{\"name\":\"bad\",\"image\":{\"type\":\"oci\",\"reference\":"
                + "\"Foo:bar\"}}");
        assertEquals(400, badImage.status());
        assertTrue(badImage.body(), message(badImage).startsWith(
                "invalid config: image.reference: \"Foo:bar\" is not a valid image reference: "));
        // The runtime's own rules come back as it words them.
        Reply runtimeRule = api("POST", "/v1/sandboxes", create("bad", "{\"sandbox.owner\":\"me\"}"));
        assertEquals(400, runtimeRule.status());
        assertTrue(runtimeRule.body(), message(runtimeRule).startsWith("invalid config: "));
        assertTrue(runtimeRule.body(), message(runtimeRule).contains("sandbox."));
        assertEquals("start: false is not supported yet: create boots the sandbox",
                message(api("POST", "/v1/sandboxes?start=false", create("bad", null))));
        // Refused on its Content-Length alone, before any of the body is sent.
        assertTrue(headersOnly("POST", "/v1/sandboxes", 2 << 20).startsWith("HTTP/1.1 413 "));
        assertEquals("cmd: must be a non-empty array of strings",
                message(api("POST", "/v1/sandboxes/by-name/bad/exec", "{\"cmd\":[]}")));
        assertEquals(404, api("POST", "/v1/sandboxes/by-name/bad/exec", "{\"cmd\":[\"true\"]}").status());
        assertEquals(404, api("GET", "/v1/nothing-here", null).status());
        assertEquals(405, api("PUT", "/v1/sandboxes", "{}").status());
        assertEquals(404, api("GET", "/v1/sandboxes/by-name/bad", null).status());
    }

    /**
     * The create body's network object as the 0.6.18 SDK sends it plus msb's extensions, back in the response with
     * the policy in force; a live policy change through PATCH; errors naming the field.
     */
    @Test
    public void networkSettingsRoundTripAndThePolicyChangesLive() throws Exception {
        String network = "{\"enabled\":true,\"strict\":false,\"max_connections\":100,"
                + "\"secrets\":{\"entries\":[],\"on_violation\":{\"type\":\"block_and_log\"}},"
                + "\"policy\":{\"default_egress\":\"deny\",\"default_ingress\":\"allow\",\"rules\":[{\"direction\":"
                + "\"egress\",\"destination\":{\"group\":\"host\"},\"protocols\":[\"tcp\"],\"ports\":[{\"start\":8000,"
                + "\"end\":8000}],\"action\":\"allow\"}]},\"dns\":{\"nameservers\":[\"127.0.0.1:5300\"]},"
                + "\"rate_limiter\":{\"egress\":{\"ops\":{\"size\":1000,\"refill_time_ms\":1000}}}}";
        Reply created = api("POST", "/v1/sandboxes", withNetwork(create("net", null), network));
        assertEquals(created.body(), 200, created.status());
        try {
            JsonNode net = created.json().at("/spec/network");
            assertTrue(net.get("enabled").asBoolean());
            assertEquals(100, net.get("max_connections").asInt());
            assertEquals("host", net.at("/policy/rules/0/destination/group").asText());
            assertEquals(8000, net.at("/policy/rules/0/ports/0/start").asInt());
            assertEquals("127.0.0.1:5300", net.at("/dns/nameservers/0").asText());
            assertEquals(1000, net.at("/rate_limiter/egress/ops/size").asInt());
            assertFalse(net.get("strict").asBoolean());

            String id = created.json().get("id").asText();
            Reply changed = api("PATCH", "/v1/sandboxes/" + id + "/network/policy",
                    "{\"default_egress\":\"deny\",\"default_ingress\":\"deny\",\"rules\":[]}");
            assertEquals(changed.body(), 200, changed.status());
            assertEquals("deny", changed.json().at("/spec/network/policy/default_ingress").asText());
            assertEquals(0, changed.json().at("/spec/network/policy/rules").size());
            JsonNode now = api("GET", "/v1/sandboxes/by-name/net", null).json().at("/spec/network");
            assertEquals("kept in the spec", "deny", now.at("/policy/default_ingress").asText());
            assertEquals("the rest unchanged", 100, now.get("max_connections").asInt());

            Reply badPolicy = api("PATCH", "/v1/sandboxes/by-name/net/network/policy",
                    "{\"rules\":[{\"direction\":\"egress\",\"destination\":{\"cidr\":\"10.0.0.1/8\"},\"action\":\"allow\"}]}");
            assertEquals(400, badPolicy.status());
            assertTrue(badPolicy.body(), message(badPolicy).startsWith("policy.rules[0].destination.cidr: "));
            assertEquals(405, api("GET", "/v1/sandboxes/by-name/net/network/policy", null).status());
            assertEquals(404, api("PATCH", "/v1/sandboxes/by-name/ghost/network/policy", "{}").status());
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/net", null);
        }

        Reply off = api("POST", "/v1/sandboxes", withNetwork(create("nonet", null), "{\"enabled\":false}"));
        assertEquals(off.body(), 200, off.status());
        try {
            assertFalse(off.json().at("/spec/network/enabled").asBoolean());
            Reply noPolicy = api("PATCH", "/v1/sandboxes/by-name/nonet/network/policy", "{}");
            assertEquals(400, noPolicy.status());
            assertEquals("network", noPolicy.json().at("/error/details/field").asText());
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/nonet", null);
        }

        for (String[] c : new String[][] {
            {"{\"secrets\":{\"entries\":[{\"env_var\":\"K\",\"value\":\"v\"}]}}", "network.secrets.entries[0]"},
            {"{\"max_connections\":4097}", "network.max_connections: "},
            {"{\"ports\":[{\"host_port\":8080}]}", "network.ports[0].guest_port: "},
            {"{\"dns\":{\"query_timeout_ms\":0}}", "network.dns.query_timeout_ms: "},
            {"{\"policy\":{\"rules\":[{\"direction\":\"sideways\"}]}}", "network.policy.rules[0].direction: "}}) {
            Reply r = api("POST", "/v1/sandboxes", withNetwork(create("netbad", null), c[0]));
            assertEquals(r.body(), 400, r.status());
            assertTrue(c[0] + " -> " + r.body(), message(r).startsWith(c[1]));
        }
        assertEquals(404, api("GET", "/v1/sandboxes/by-name/netbad", null).status());

        // strict, as the 0.6.18 SDK sends it, reaches the sandbox's network (the network bundle enforces it)
        Reply strict = api("POST", "/v1/sandboxes", withNetwork(create("strict", null),
                "{\"enabled\":true,\"strict\":true}"));
        assertEquals(strict.body(), 200, strict.status());
        try {
            assertTrue(strict.json().at("/spec/network/strict").asBoolean());
            assertTrue(api("GET", "/v1/sandboxes/by-name/strict", null).json().at("/spec/network/strict").asBoolean());
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/strict", null);
        }
    }

    private static String withNetwork(String body, String network) {
        return body.substring(0, body.length() - 1) + ",\"network\":" + network + "}";
    }

    @Test
    public void aClientThatGoesAwayTakesItsCommandWithIt() throws Exception {
        assertEquals(200, api("POST", "/v1/sandboxes", create("leaver", null)).status());
        try {
            HttpResponse<InputStream> stream = http.send(request("POST", "/v1/sandboxes/by-name/leaver/exec",
                    "{\"cmd\":[\"sh\",\"-c\",\"echo ready; exec sleep 600\"]}", "Bearer " + KEY),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, stream.statusCode());
            long pid;
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                JsonNode started = JSON.readTree(lines.readLine());
                assertEquals("started", started.get("type").asText());
                pid = started.get("pid").asLong();
                JsonNode ready = JSON.readTree(lines.readLine());
                assertEquals("the output arrives while the command still runs", "stdout", ready.get("type").asText());
                // agentd runs on this host here, so the guest pid is a host pid
                assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
            }
            Osgi.eventually("the command of a vanished client is killed",
                    () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/leaver", null);
        }
    }

    @Test
    public void outputBeyondTheLimitKillsTheCommand() throws Exception {
        ConfigurationAdmin admin = Osgi.service(context, ConfigurationAdmin.class);
        Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxExecOutputMib", 1));
        try {
            Osgi.service(context, Servlet.class, "(maxExecOutputMib=1)");
            Osgi.eventually("the reconfigured API answers", () -> send("GET", "/v1/version", null, null).status() == 200);
            assertEquals(200, api("POST", "/v1/sandboxes", create("flood", null)).status());
            List<JsonNode> events = exec("flood", "{\"cmd\":[\"head\",\"-c\",\"50000000\",\"/dev/zero\"]}");
            JsonNode last = events.get(events.size() - 1);
            assertEquals("error", last.get("type").asText());
            assertEquals("output_limit", last.get("kind").asText());
            assertTrue(output(events, "stdout").length() <= 1 << 20);
        } finally {
            api("DELETE", "/v1/sandboxes/by-name/flood", null);
            Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxExecOutputMib", 1024));
            Osgi.service(context, Servlet.class, "(maxExecOutputMib=1024)");
            Osgi.eventually("the API answers again", () -> send("GET", "/v1/version", null, null).status() == 200);
        }
    }

    @Test
    public void errorsJettyAnswersItselfAreTheJsonContractToo() throws Exception {
        String big = "a".repeat(40_000);
        Map<String, Integer> expected = new java.util.LinkedHashMap<>();
        expected.put("GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 431);
        expected.put("GET /v1/version?" + big + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
        expected.put("GET /v1/sandboxes/by-name/a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/sandboxes/by-name/a%2fb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/sandboxes/by-name/a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/sandboxes/by-name/%FF HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/sandboxes/by-name/%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/sandboxes/by-name/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        expected.put("GET /v1/version HTTP/1.1\r\n\r\n", 400);
        expected.put("GET /v1/version HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400);
        expected.put("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        expected.put("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400);
        expected.put("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: two\r\n\r\n{}", 400);
        expected.put("GET /v1/version HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400);
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            Raw r = raw(e.getKey());
            String what = e.getKey().substring(0, Math.min(80, e.getKey().length())) + " -> " + r;
            assertEquals(what, (int) e.getValue(), r.status());
            assertTrue(what, r.headers().getOrDefault("content-type", "").startsWith("application/json"));
            JsonNode error = new Reply(r.status(), r.body()).json().get("error");
            assertNotNull(what, error);
            assertEquals(what, "invalid_request", error.path("code").asText());
            assertFalse(what, error.path("message").asText().isEmpty());
        }
    }

    /** msb's {@code GET /v1/tls/ca.pem} (decision 1318): the interception CA's certificate, never its key. */
    @Test
    public void theInterceptionCaIsServedAsPem() throws Exception {
        Raw ca = raw("GET /v1/tls/ca.pem HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(ca.toString(), 200, ca.status());
        assertEquals("application/x-pem-file", ca.headers().get("content-type"));
        assertTrue(ca.body(), ca.body().startsWith("-----BEGIN CERTIFICATE-----"));
        assertFalse(ca.body(), ca.body().contains("PRIVATE KEY"));
        assertEquals(401, raw("GET /v1/tls/ca.pem HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status());
        assertEquals(405, raw("POST /v1/tls/ca.pem HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").status());
    }

    @Test
    public void describesItselfAtOpenApiJsonWithoutTheKey() throws Exception {
        Raw doc = raw("GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(doc.toString(), 200, doc.status());
        assertTrue(doc.headers().get("content-type"), doc.headers().get("content-type").startsWith("application/json"));
        JsonNode openApi = new ObjectMapper().readTree(doc.body());
        assertTrue(openApi.get("openapi").asText().startsWith("3.0."));
        assertEquals("the served document carries the bundle's version",
                send("GET", "/v1/version", null, null).json().get("version").asText(),
                openApi.get("info").get("version").asText());
        assertTrue(openApi.get("paths").has("/v1/sandboxes/{id}/exec"));
        String etag = doc.headers().get("etag");
        assertNotNull(doc.toString(), etag);
        Raw again = raw("GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(again.toString(), 304, again.status());
        assertEquals("", again.body());
        Raw head = raw("HEAD /v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(head.toString(), 200, head.status());
        assertEquals(etag, head.headers().get("etag"));
    }

    @Test
    public void headAnswersWhereGetDoes() throws Exception {
        Raw version = raw("HEAD /v1/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(version.toString(), 200, version.status());
        assertEquals("", version.body());
        assertTrue(version.toString(), Integer.parseInt(version.headers().get("content-length")) > 0);
        Raw list = raw("HEAD /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(list.toString(), 200, list.status());
        assertEquals(401, raw("HEAD /v1/sandboxes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status());
    }

    @Test
    public void theApiAlsoAnswersOnTheIpv6Loopback() throws Exception {
        assumeTrue("needs ::1", java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName("::1")) != null);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://[::1]:"
                + HttpApiPlatform.port(context) + "/v1/nothing")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode());
    }

    @Test
    public void missingImagesAndUnreachableRegistriesHaveTheirOwnCodes() throws Exception {
        Reply missing = api("POST", "/v1/sandboxes", "{\"name\":\"no-image\",\"image\":{\"type\":\"oci\","
                + "\"reference\":\"127.0.0.1:1/not/cached:1\"},\"pull_policy\":\"never\"}");
        assertEquals(missing.body(), 404, missing.status());
        assertEquals("image_not_found", code(missing));
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Reply unreachable = api("POST", "/v1/sandboxes", "{\"name\":\"no-registry\",\"image\":{\"type\":\"oci\","
                + "\"reference\":\"127.0.0.1:" + closed + "/x/y:1\"}}");
        assertEquals(unreachable.body(), 502, unreachable.status());
        assertEquals("registry_unreachable", code(unreachable));
        assertTrue(unreachable.body(), message(unreachable).contains("127.0.0.1:" + closed));
        assertFalse(unreachable.body(), message(unreachable).contains("null"));
        assertEquals("127.0.0.1:" + closed, unreachable.json().get("error").get("details").get("registry").asText());
        api("DELETE", "/v1/sandboxes/by-name/no-image", null);
        api("DELETE", "/v1/sandboxes/by-name/no-registry", null);
    }

    @Test
    public void badBodiesAreTheClientsErrors() throws Exception {
        // io.msb.http logs through System.Logger, which is java.util.logging here: catch what it writes
        java.util.logging.Logger httpLog = java.util.logging.Logger.getLogger("io.msb.http");
        List<java.util.logging.LogRecord> logged = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level before = httpLog.getLevel();
        httpLog.setLevel(java.util.logging.Level.ALL);
        httpLog.addHandler(capture);
        try {
            sendBadBodies();
        } finally {
            httpLog.removeHandler(capture);
            httpLog.setLevel(before);
        }
        synchronized (logged) {
            assertTrue("each bad body leaves one DEBUG line: " + logged.size(), logged.stream()
                    .filter(r -> r.getLevel().intValue() <= java.util.logging.Level.FINE.intValue()).count() >= 3);
            for (java.util.logging.LogRecord r : logged) {
                assertTrue("logged above DEBUG: " + r.getLevel() + " " + r.getMessage(),
                        r.getLevel().intValue() <= java.util.logging.Level.FINE.intValue() && r.getThrown() == null);
            }
        }
    }

    private void sendBadBodies() throws Exception {
        String head = "POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
        try (Socket stalled = rawSocket()) {
            stalled.getOutputStream().write((head + "{\"name\":").getBytes(StandardCharsets.US_ASCII));
            Raw r = Raw.read(stalled.getInputStream());
            assertEquals(r.toString(), 408, r.status());
            assertEquals("request_timeout", code(new Reply(r.status(), r.body())));
        }
        try (Socket crawling = rawSocket()) {
            crawling.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 100 && crawling.getInputStream().available() == 0; i++) {
                crawling.getOutputStream().write(' '); // 1 byte every 200 ms: below the minimum rate of 1 KiB/s
                Thread.sleep(200);
            }
            Raw r = Raw.read(crawling.getInputStream());
            assertEquals(r.toString(), 408, r.status());
        } catch (java.net.SocketException e) {
            throw new AssertionError("the server closed without an answer", e);
        }
        try (Socket shortBody = rawSocket()) {
            shortBody.getOutputStream().write((head + "{}").getBytes(StandardCharsets.US_ASCII));
            shortBody.shutdownOutput();
            Raw r = Raw.read(shortBody.getInputStream());
            assertEquals(r.toString(), 400, r.status());
            assertEquals("invalid_request", code(new Reply(r.status(), r.body())));
        }
    }

    @Test
    public void aClientWithTooManyUnfinishedBodiesIsTurnedAway() throws Exception {
        ConfigurationAdmin admin = Osgi.service(context, ConfigurationAdmin.class);
        // the held bodies stall on purpose: the minimum data rate (a separate guard) would end them at once
        Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxUnfinishedBodiesPerClient", 2,
                "minBodyBytesPerSecond", 0L));
        List<Socket> held = new ArrayList<>();
        try {
            Osgi.service(context, Servlet.class, "(maxUnfinishedBodiesPerClient=2)");
            Osgi.eventually("Jetty's minimum body data rate is off", () -> context.getServiceReferences((String) null,
                    "(&(objectClass=org.apache.felix.http.jetty.ConnectorFactory)(minBodyBytesPerSecond=0))") != null);
            Osgi.eventually("the reconfigured API answers", () -> send("GET", "/v1/version", null, null).status() == 200);
            for (int i = 0; i < 2; i++) {
                held.add(holdBody());
            }
            Osgi.eventually("a third body from the same client is refused at once", () -> {
                // a held body that got an answer was turned away (the test's own request held a slot just then)
                // or timed out: it no longer holds a slot, so another takes its place
                for (int i = 0; i < held.size(); i++) {
                    if (answered(held.get(i))) {
                        held.get(i).close();
                        held.set(i, holdBody());
                    }
                }
                return code(api("POST", "/v1/sandboxes", "{}")).equals("too_many_requests");
            });
            Raw refused = raw("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            assertEquals(refused.body(), 429, refused.status());
            assertEquals("a refusal that leaves the body unread ends the connection", "close",
                    refused.headers().get("connection"));
            assertEquals("requests without a body still pass", 200, send("GET", "/v1/version", null, null).status());
        } finally {
            for (Socket s : held) {
                s.close();
            }
            Osgi.configure(admin, MsbPlatform.HTTP_PID, Map.of("maxUnfinishedBodiesPerClient", 16,
                    "minBodyBytesPerSecond", 1024L));
            Osgi.service(context, Servlet.class, "(maxUnfinishedBodiesPerClient=16)");
            Osgi.eventually("the API answers again", () -> send("GET", "/v1/version", null, null).status() == 200);
        }
    }

    // --- helpers ---

    /** A create whose headers and first body byte are sent, the other 99 announced bytes never. */
    private Socket holdBody() throws IOException {
        Socket s = rawSocket();
        s.getOutputStream().write(("POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** Whether the server has answered (or closed) the socket: a byte or the end is there to read now. */
    private static boolean answered(Socket s) throws IOException {
        int timeout = s.getSoTimeout();
        s.setSoTimeout(1);
        try {
            s.getInputStream().read();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } finally {
            s.setSoTimeout(timeout);
        }
    }

    private String create(String name, String labels) throws IOException {
        return HttpApiPlatform.createBody(context, name, labels);
    }

    private List<JsonNode> exec(String name, String body) throws Exception {
        Reply r = api("POST", "/v1/sandboxes/by-name/" + name + "/exec", body);
        assertEquals(r.body(), 200, r.status());
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (!line.isEmpty()) {
                events.add(JSON.readTree(line));
            }
        }
        return events;
    }

    /** The status line the server answers a request whose body is announced but never sent. */
    private String headersOnly(String method, String path, long contentLength) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", HttpApiPlatform.port(context))) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    private Socket rawSocket() throws IOException {
        Socket socket = new Socket("127.0.0.1", HttpApiPlatform.port(context));
        socket.setSoTimeout(IDLE_TIMEOUT_MS * 3);
        return socket;
    }

    /** Sends bytes as they are (no client library would send these requests) and reads one response. */
    private Raw raw(String request) throws IOException {
        try (Socket socket = rawSocket()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return Raw.read(socket.getInputStream());
        }
    }

    /** One HTTP/1.1 response: status, headers (lower-case names) and the body its Content-Length gives. */
    private record Raw(int status, Map<String, String> headers, String body) {
        static Raw read(InputStream in) throws IOException {
            String statusLine = line(in);
            Map<String, String> headers = new java.util.HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
            }
            // a HEAD answer announces a length but has no body: the server closes (Connection: close) instead
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new Raw(Integer.parseInt(statusLine.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("the connection ended inside the response head: " + sb);
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }
    }

    private static String output(List<JsonNode> events, String type) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : events) {
            if (e.get("type").asText().equals(type)) {
                sb.append(new String(Base64.getDecoder().decode(e.get("data").asText()), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    private static List<String> names(Reply page) {
        assertEquals(page.body(), 200, page.status());
        return names(page.json());
    }

    private static List<String> names(JsonNode page) {
        List<String> names = new ArrayList<>();
        page.get("data").forEach(s -> names.add(s.get("name").asText()));
        return names;
    }

    private static String code(Reply r) {
        return r.json().path("error").path("code").asText();
    }

    private static String message(Reply r) {
        return r.json().path("error").path("message").asText();
    }

    private static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private Reply api(String method, String path, String body) throws Exception {
        return send(method, path, body, "Bearer " + KEY);
    }

    private Reply send(String method, String path, String body, String authorization) throws Exception {
        HttpResponse<String> r = http.send(request(method, path, body, authorization),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private HttpRequest request(String method, String path, String body, String authorization) {
        return HttpApiPlatform.request(context, method, path, body, authorization);
    }

    private record Reply(int status, String body) {
        JsonNode json() {
            try {
                JsonNode node = JSON.readTree(body);
                assertNotNull("a JSON body", node);
                return node;
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }
}
