package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * {@code GET /v1/sandboxes/{id}/logs} against the real runtime and the real agentd (as the "VM", decision 0010):
 * commands run through the exec API are read back as the SDK reads them, a reconnect with Last-Event-ID continues
 * exactly after the last event, also after the runtime bundle restarted, and the stream ends when the sandbox stops.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SandboxLogsIT extends HttpApiTestBase {
    private static final String AUTH = "Bearer " + HttpApiPlatform.KEY;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A guard against a hang, not a measured time: a missing event fails the test after it. */
    private static final long WAIT_SECONDS = 60;
    private static volatile boolean prepared;

    @Before
    public void prepare() throws Exception {
        if (!prepared) {
            HttpApiPlatform.useAgentdAsTheVmm(context, http);
            prepared = true;
        }
    }

    /** One server-sent event. */
    record Event(String event, String id, JsonNode data) {
        String text() {
            return data.path("text").asText();
        }

        String source() {
            return data.path("source").asText();
        }
    }

    /** An open event stream, read by a thread of its own into a queue. */
    final class Stream implements AutoCloseable {
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        final int status;
        final String contentType;
        private final InputStream body;

        Stream(String path, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(HttpApiPlatform.uri(context, path))
                    .header("Authorization", AUTH).header("Accept", "text/event-stream");
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            status = r.statusCode();
            contentType = r.headers().firstValue("content-type").orElse("");
            body = r.body();
            if (status == 200) {
                Thread t = new Thread(this::read, "sse-reader");
                t.setDaemon(true);
                t.start();
            }
        }

        /** SSE as the SDK parses it: fields until a blank line; comments skipped. */
        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String event = null;
                String id = null;
                StringBuilder data = new StringBuilder();
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        if (event != null) {
                            events.add(new Event(event, id, data.length() == 0 ? null : JSON.readTree(data.toString())));
                        }
                        event = null;
                        id = null;
                        data.setLength(0);
                    } else if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException closed) {
                // closed by the test
            }
        }

        Event next() throws InterruptedException {
            Event e = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull("an event within " + WAIT_SECONDS + " s", e);
            return e;
        }

        /** Log events until {@code count} of them are read. */
        List<Event> logs(int count) throws InterruptedException {
            List<Event> got = new ArrayList<>();
            while (got.size() < count) {
                Event e = next();
                assertEquals("log events before the end: " + got, "log", e.event());
                got.add(e);
            }
            return got;
        }

        @Override
        public void close() throws IOException {
            body.close();
        }
    }

    @Test
    public void execOutputComesBackAsTheSdkReadsItAndResumesExactlyAfterTheLastEvent() throws Exception {
        assertEquals(200, send("POST", "/v1/sandboxes", HttpApiPlatform.createBody(context, "logged", null)).statusCode());
        String id = JSON.readTree(send("GET", "/v1/sandboxes/by-name/logged", null).body()).get("id").asText();
        String logs = "/v1/sandboxes/" + id + "/logs";
        List<Event> seen = new ArrayList<>();
        try (Stream first = new Stream(logs + "?sources=stdout,stderr,output", null)) {
            assertEquals(200, first.status);
            assertTrue(first.contentType, first.contentType.startsWith("text/event-stream"));
            exec("{\"cmd\":[\"sh\",\"-c\",\"echo one; echo two >&2\"]}");
            exec("{\"cmd\":[\"sh\",\"-c\",\"echo three\"]}");
            seen.addAll(first.logs(3));
        }
        assertEquals(List.of("one\n", "two\n", "three\n"), seen.stream().map(Event::text).toList());
        assertEquals(List.of("stdout", "stderr", "stdout"), seen.stream().map(Event::source).toList());
        for (Event e : seen) {
            Instant.parse(e.data().get("ts").asText()); // RFC 3339
            assertEquals(3, e.data().size());
            assertNotNull(e.id());
        }

        // the client went away after "one": what it missed comes again, from just after that event, and new output
        exec("{\"cmd\":[\"sh\",\"-c\",\"echo four\"]}");
        try (Stream resumed = new Stream(logs, seen.get(0).id())) {
            assertEquals(List.of("two\n", "three\n", "four\n"), resumed.logs(3).stream().map(Event::text).toList());
        }
        try (Stream system = new Stream(logs + "?sources=system", null)) {
            assertEquals("sandbox started\n", system.logs(1).get(0).text());
        }

        // a follower sees the stop: the marker (system) and then the end
        try (Stream follower = new Stream(logs + "?sources=stdout,system", seen.get(2).id())) {
            assertEquals("four\n", follower.logs(1).get(0).text());
            assertEquals(200, send("POST", "/v1/sandboxes/" + id + "/stop", "{}").statusCode());
            Event stopped = follower.next();
            assertEquals("system", stopped.source());
            assertTrue(stopped.text(), stopped.text().startsWith("sandbox stopped"));
            Event end = follower.next();
            assertEquals(end.toString(), "end", end.event());
        }

        // ids outlive the process that handed them out: the runtime and the API restart, the resume is exact
        for (String bundle : List.of("io.msb.runtime", "io.msb.http")) {
            Bundle b = Osgi.bundle(context, bundle);
            b.stop();
            b.start();
        }
        Osgi.eventually("the restarted API finds the sandbox", () -> send("GET", logs.replace("/logs", ""), null)
                .statusCode() == 200);
        try (Stream afterRestart = new Stream(logs, seen.get(1).id())) {
            List<Event> rest = new ArrayList<>();
            for (Event e = afterRestart.next(); !e.event().equals("end"); e = afterRestart.next()) {
                rest.add(e);
            }
            assertEquals(List.of("three\n", "four\n"), rest.stream().map(Event::text).toList());
            assertNull("nothing after the end", afterRestart.events.poll(1, TimeUnit.SECONDS));
        }
        send("DELETE", "/v1/sandboxes/" + id, null);
    }

    @Test
    public void badRequestsHaveTheContractsErrors() throws Exception {
        HttpResponse<String> created = send("POST", "/v1/sandboxes", HttpApiPlatform.createBody(context, "logs-errors",
                null));
        assertEquals(created.body(), 200, created.statusCode());
        try {
            HttpResponse<String> badSource = send("GET", "/v1/sandboxes/by-name/logs-errors/logs?sources=stdout,kernel",
                    null);
            assertEquals(400, badSource.statusCode());
            JsonNode error = JSON.readTree(badSource.body()).get("error");
            assertEquals("invalid_request", error.get("code").asText());
            assertTrue(error.get("message").asText(), error.get("message").asText().startsWith("sources:"));

            HttpResponse<String> badCursor = http.send(HttpRequest.newBuilder(HttpApiPlatform.request(context, "GET",
                    "/v1/sandboxes/by-name/logs-errors/logs", null, AUTH), (n, v) -> true)
                    .header("Last-Event-ID", "not a cursor").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, badCursor.statusCode());

            HttpResponse<String> unknown = send("GET", "/v1/sandboxes/00000000-0000-0000-0000-000000000000/logs", null);
            assertEquals(404, unknown.statusCode());
            assertEquals("sandbox_not_found", JSON.readTree(unknown.body()).get("error").get("code").asText());

            assertEquals(401, http.send(HttpApiPlatform.request(context, "GET", "/v1/sandboxes/by-name/logs-errors/logs",
                    null, null), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(405, send("POST", "/v1/sandboxes/by-name/logs-errors/logs", "{}").statusCode());
        } finally {
            send("DELETE", "/v1/sandboxes/by-name/logs-errors", null);
        }
    }

    private void exec(String body) throws Exception {
        HttpResponse<String> r = send("POST", "/v1/sandboxes/by-name/logged/exec", body);
        assertEquals(r.body(), 200, r.statusCode());
        assertTrue(r.body(), r.body().contains("\"exit\""));
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return http.send(HttpApiPlatform.request(context, method, path, body, AUTH), HttpResponse.BodyHandlers.ofString());
    }
}
