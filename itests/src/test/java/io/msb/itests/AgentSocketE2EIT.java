package io.msb.itests;

import static org.junit.Assert.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;

/**
 * The agent WebSocket against a real VM (builtin:busybox in QEMU), used as microsandbox's 0.6.18 SDK uses it: one new
 * WebSocket per call, never closed. Far more calls than the relay has client slots (128) all succeed, because the
 * server evicts the longest idle socket of a full sandbox (decision 1016). {@code -Dmsb.e2e.agentSocketCalls} sets
 * the number of calls (default 400; bench/http/AgentSocketBench.java runs 10,000 against a server).
 *
 * <p>End-to-end: runs only under {@code -Pe2e} (its own failsafe execution, skipped by {@code msb.e2e.skip}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AgentSocketE2EIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    private BundleContext context;
    private final HttpClient http = HttpApiPlatform.client();

    @Configuration
    public Option[] config() throws IOException {
        return HttpApiPlatform.options(E2eHome.create(AgentSocketE2EIT.class));
    }

    @Test
    public void callsOnNewSocketsNeverClosedAllSucceed() throws Exception {
        E2eHome.requireHostTools();
        int calls = Integer.getInteger("msb.e2e.agentSocketCalls", 400);
        Osgi.eventually("the API answers", () -> http.send(HttpApiPlatform.request(context, "GET", "/v1/version", null,
                null), HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        HttpResponse<String> created = http.send(HttpApiPlatform.request(context, "POST", "/v1/sandboxes",
                "{\"name\":\"ws-e2e\",\"image\":{\"type\":\"oci\",\"reference\":\"builtin:busybox\"}}",
                "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.ofString());
        assertEquals(created.body(), 200, created.statusCode());
        String id = JSON.readTree(created.body()).get("id").asText();
        List<AgentSocketClient> leaked = new ArrayList<>();
        List<Long> nanos = new ArrayList<>();
        try {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                AgentSocketClient c = AgentSocketClient.open(http, AgentSocketIT.agentUri(context, id),
                        HttpApiPlatform.KEY);
                leaked.add(c);
                assertEquals("call " + i, 0, c.exec("true"));
                nanos.add(System.nanoTime() - t);
            }
            long total = System.nanoTime() - start;
            Collections.sort(nanos);
            System.out.printf("agent WebSocket, exec true on a new socket per call (never closed): %d calls, "
                    + "%.1f calls/s, p50 %.1f ms, p99 %.1f ms%n", calls, calls / (total / 1e9),
                    nanos.get(calls / 2) / 1e6, nanos.get(Math.min(calls - 1, calls * 99 / 100)) / 1e6);
        } finally {
            leaked.forEach(AgentSocketClient::abort);
            http.send(HttpApiPlatform.request(context, "DELETE", "/v1/sandboxes/by-name/ws-e2e", null,
                    "Bearer " + HttpApiPlatform.KEY), HttpResponse.BodyHandlers.discarding());
        }
    }
}
