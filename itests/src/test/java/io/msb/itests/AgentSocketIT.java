package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Filter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code GET /v1/sandboxes/{id}/agent} (decision 1016) on the real web stack, runtime, relay and agentd (run as the
 * "VM", decision 0010), driven by the JDK's WebSocket client speaking the agent protocol as microsandbox's SDK does.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentSocketIT extends HttpApiTestBase {
    private static final String KEY = HttpApiPlatform.KEY;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Short, so that the silent-client test ends soon; clients that answer pings are never cut. */
    private static final int IDLE_SECS = 5;
    private static final int MAX_MESSAGE = 65_536;
    private static final int SMALL_CAP = 4;
    private static final long ID_STEP = 0xffffffffL / 128;
    private static volatile boolean prepared;


    @Before
    public void prepare() throws Exception {
        if (prepared) {
            return;
        }
        HttpApiPlatform.useAgentdAsTheVmm(context, http);
        limits(Map.of("agentSocketIdleTimeoutSecs", IDLE_SECS, "agentSocketMaxMessageBytes", MAX_MESSAGE),
                "(agentSocketIdleTimeoutSecs=" + IDLE_SECS + ")");
        prepared = true;
    }

    @Test
    public void bytesPassThroughWhateverTheMessageBoundaries() throws Exception {
        String id = sandbox("wsp");
        try (AgentSocketClient c = open(id)) {
            assertEquals("a relay slot's id range", 1, c.idStart() % ID_STEP);
            assertEquals(ID_STEP - 1, c.idEnd() - c.idStart());

            int cut = c.newId();
            byte[] ping = AgentSocketClient.frame(cut, 0, "core.ping", Map.of());
            c.sendCut(ping, 1, 6, ping.length - 1); // inside the length, the id and the body
            c.expect(cut, "core.pong");

            int first = c.newId();
            int second = c.newId();
            ByteArrayOutputStream two = new ByteArrayOutputStream();
            two.writeBytes(AgentSocketClient.frame(first, 0, "core.ping", Map.of()));
            two.writeBytes(AgentSocketClient.frame(second, 0, "core.ping", Map.of()));
            c.send(two.toByteArray()); // two frames in one message
            c.expect(first, "core.pong");
            c.expect(second, "core.pong");

            c.sendText("text messages are ignored");
            c.ping();
            assertEquals(0, c.exec("true"));
            assertEquals(3, c.exec("sh", "-c", "exit 3"));
        }
    }

    @Test
    public void theUpgradeIsCheckedLikeTheOtherRoutes() throws Exception {
        String id = sandbox("wsa");
        assertEquals(401, refused(id, null));
        assertEquals(401, refused(id, "wrong"));
        assertEquals(404, refused(UUID.randomUUID().toString(), KEY));

        HttpResponse<String> plain = http.send(HttpApiPlatform.request(context, "GET",
                "/v1/sandboxes/" + id + "/agent", null, "Bearer " + KEY), HttpResponse.BodyHandlers.ofString());
        assertEquals(plain.body(), 400, plain.statusCode());
        assertEquals("invalid_request", JSON.readTree(plain.body()).path("error").path("code").asText());

        assertEquals(200, api("POST", "/v1/sandboxes/by-name/wsa/stop", "").statusCode());
        assertEquals(409, refused(id, KEY));
    }

    @Test
    public void aFullSandboxEvictsItsLongestIdleSocket() throws Exception {
        String id = cappedSandbox("wse");
        for (int i = 0; i < SMALL_CAP; i++) {
            open(id).ping();
        }
        open(id); // one more than the cap
        List<AgentSocketClient> clients = List.copyOf(opened); // this test's sockets, oldest first
        String close = clients.get(0).closed().get(60, TimeUnit.SECONDS);
        assertTrue("the longest idle socket is closed as going away: " + close, close.startsWith("1001 "));
        for (AgentSocketClient c : clients.subList(1, clients.size())) {
            c.ping();
            assertEquals(0, c.exec("true"));
        }
    }

    @Test
    public void socketsWithASessionOpenAreNeverEvicted() throws Exception {
        String id = cappedSandbox("wsb");
        List<AgentSocketClient> clients = new ArrayList<>();
        for (int i = 0; i < SMALL_CAP; i++) {
            AgentSocketClient c = open(id);
            clients.add(c);
            c.startExec("sleep", "600");
            AgentSocketClient.Frame started = c.next();
            assertEquals(started.toString(), "core.exec.started", started.type());
        }
        assertEquals("every socket has a command running", 429, refused(id, KEY));
        for (AgentSocketClient c : clients) {
            c.ping(); // none was evicted
        }
        clients.get(0).close(); // its sleep is killed by the relay
        Osgi.eventually("a socket is free again", () -> {
            AgentSocketClient c = open(id);
            clients.add(c);
            return true;
        });
    }

    /** A client that reads but never answers a ping (as one that stopped polling its socket) is cut off. */
    @Test
    public void aSilentClientIsDisconnected() throws Exception {
        String id = sandbox("wss");
        try (Socket s = new Socket("127.0.0.1", HttpApiPlatform.port(context))) {
            s.setSoTimeout(60_000);
            String key = java.util.Base64.getEncoder().encodeToString(UUID.randomUUID().toString().substring(0, 16)
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(("GET /v1/sandboxes/" + id + "/agent HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                    + key + "\r\nAuthorization: Bearer " + KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            int n = in.read(buf);
            assertTrue("upgraded: " + new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1),
                    n > 0 && new String(buf, 0, n, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 101"));
            try {
                while (in.read(buf) >= 0) {
                    // the handshake bytes, then pings nobody answers, then the end
                }
            } catch (SocketTimeoutException e) {
                fail("a client silent for " + IDLE_SECS + " s is still connected after a minute");
            } catch (IOException e) {
                // a reset is a disconnect too
            }
        }
    }

    @Test
    public void oversizedMessagesAndNonFramesCloseTheSocket() throws Exception {
        String id = sandbox("wsl");
        AgentSocketClient big = open(id);
        try {
            big.send(new byte[MAX_MESSAGE + 1]);
        } catch (Exception e) {
            // the server may close while the message is still going out
        }
        String close = big.closed().get(60, TimeUnit.SECONDS);
        assertTrue(close, close.startsWith("1009 "));

        AgentSocketClient garbage = open(id);
        garbage.send(ByteBuffer.allocate(9).putInt(-1).putInt(1).put((byte) 0).array());
        close = garbage.closed().get(60, TimeUnit.SECONDS);
        assertTrue(close, close.startsWith("1008 "));

        try (AgentSocketClient after = open(id)) {
            after.ping(); // the sandbox is unharmed
        }
    }

    /**
     * As microsandbox's 0.6.18 SDK does: a new WebSocket for every call, never closed, many at once. More calls than
     * the relay has slots all succeed.
     */
    @Test
    public void concurrentCallsOnSocketsNeverClosedAllSucceed() throws Exception {
        String id = sandbox("wsm");
        int threads = 16;
        int callsEach = 20;
        List<AgentSocketClient> leaked = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < callsEach; i++) {
                        AgentSocketClient c = open(id);
                        leaked.add(c);
                        ok += c.exec("true") == 0 ? 1 : 0;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> r : results) {
                ok += r.get(10, TimeUnit.MINUTES);
            }
            assertEquals(threads * callsEach, ok);
        } finally {
            pool.shutdownNow();
            leaked.forEach(AgentSocketClient::abort);
        }
    }

    private AgentSocketClient open(String id) throws Exception {
        AgentSocketClient c = AgentSocketClient.open(http, agentUri(context, id), KEY);
        opened.add(c);
        return c;
    }

    private int refused(String id, String key) throws Exception {
        try (AgentSocketClient c = AgentSocketClient.open(http, agentUri(context, id), key)) {
            fail("the upgrade succeeded");
            return 0;
        } catch (AgentSocketClient.Refused e) {
            return e.status;
        }
    }

    static URI agentUri(BundleContext context, String id) {
        return URI.create("ws://127.0.0.1:" + HttpApiPlatform.port(context) + "/v1/sandboxes/" + id + "/agent");
    }

    /** Creates a running sandbox and returns its id. */
    /** Closed, removed and restored after the test, whatever its outcome. */
    private final List<AgentSocketClient> opened = new ArrayList<>();
    private final List<String> sandboxes = new ArrayList<>();
    private boolean capped;

    @After
    public void cleanUp() throws Exception {
        opened.forEach(AgentSocketClient::close);
        for (String name : sandboxes) {
            remove(name);
        }
        if (capped) {
            limits(Map.of("agentSocketsPerSandbox", 100), "(agentSocketsPerSandbox=100)");
        }
    }

    /** A sandbox on a platform whose sandboxes take at most SMALL_CAP agent sockets (until the test ends). */
    private String cappedSandbox(String name) throws Exception {
        capped = true;
        limits(Map.of("agentSocketsPerSandbox", SMALL_CAP), "(agentSocketsPerSandbox=" + SMALL_CAP + ")");
        return sandbox(name);
    }

    private String sandbox(String name) throws Exception {
        sandboxes.add(name);
        HttpResponse<String> r = api("POST", "/v1/sandboxes", HttpApiPlatform.createBody(context, name, null));
        assertEquals(r.body(), 200, r.statusCode());
        return JSON.readTree(r.body()).get("id").asText();
    }

    private void remove(String name) throws Exception {
        api("DELETE", "/v1/sandboxes/by-name/" + name, null);
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        return http.send(HttpApiPlatform.request(context, method, path, body, "Bearer " + KEY),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Changes the io.msb.http configuration and waits until the agent WebSocket filter runs with it. */
    private void limits(Map<String, Object> changes, String filter) throws Exception {
        Osgi.configure(Osgi.service(context, ConfigurationAdmin.class), MsbPlatform.HTTP_PID, changes);
        Osgi.service(context, Filter.class, filter);
        // the filter answers a plain GET of the route (400); without it ApiServlet would (404)
        Osgi.eventually("the reconfigured WebSocket route answers", () -> api("GET",
                "/v1/sandboxes/" + UUID.randomUUID() + "/agent", null).statusCode() == 400);
    }
}
