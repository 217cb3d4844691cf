package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The metrics body: msb's own fields and microsandbox's names for the same sample (decision 1877). */
class ObservationsTest {
    private static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");
    private static final SandboxInfo INFO = new SandboxInfo(UUID.randomUUID(), "box", SandboxStatus.RUNNING,
            SandboxSpec.builder("box").image("alpine").memoryMib(256).build(), T0, T0, Optional.empty(),
            Optional.empty());

    private static JsonNode body(SandboxMetrics m) {
        return Json.MAPPER.valueToTree(Observations.metrics(INFO, m));
    }

    @Test
    void aFullSampleCarriesBothShapes() {
        SandboxMetrics m = new SandboxMetrics(42, Duration.ofMillis(1500), 300L << 20, T0,
                new SandboxMetrics.GuestMemory(200L << 20, 150L << 20), new SandboxMetrics.Network(1000, 2000, 10, 20),
                new SandboxMetrics.Disk(4096, 8192), 256L << 20, Duration.ofMillis(12_345), 37.5);
        JsonNode json = body(m);
        assertEquals(1500, json.get("cpu_time_ms").asLong());
        assertEquals(300L << 20, json.get("rss_bytes").asLong());
        assertEquals(50L << 20, json.at("/guest_memory/used_bytes").asLong());
        assertEquals(2000, json.at("/network/tx_bytes").asLong());

        assertEquals("2026-12-07T04:00:00Z", json.get("timestamp").asText());
        assertEquals(37.5, json.get("cpu_percent").asDouble());
        assertEquals(1_500_000_000L, json.get("vcpu_time_ns").asLong());
        assertEquals(50L << 20, json.get("memory_bytes").asLong());
        assertEquals(150L << 20, json.get("memory_available_bytes").asLong());
        assertEquals(300L << 20, json.get("memory_host_resident_bytes").asLong());
        assertEquals(256L << 20, json.get("memory_limit_bytes").asLong());
        assertEquals(4096, json.get("disk_read_bytes").asLong());
        assertEquals(8192, json.get("disk_write_bytes").asLong());
        assertEquals(1000, json.get("net_rx_bytes").asLong());
        assertEquals(2000, json.get("net_tx_bytes").asLong());
        assertEquals(12.345, json.get("uptime_secs").asDouble());
    }

    @Test
    void whatIsNotKnownIsNullAndTrafficWithoutANetworkIsZero() {
        JsonNode json = body(new SandboxMetrics(42, Duration.ZERO, 1, T0));
        for (String name : List.of("guest_memory", "network", "cpu_percent", "memory_bytes", "memory_available_bytes",
                "disk_read_bytes", "disk_write_bytes", "uptime_secs")) {
            assertTrue(json.get(name).isNull(), name + " in " + json);
        }
        assertEquals(0, json.get("net_rx_bytes").asLong());
        assertEquals(0, json.get("memory_limit_bytes").asLong());
    }

    @Test
    void theOpenApiSchemaNamesExactlyTheBodysFields() {
        JsonNode document = OpenApiDocument.read();
        List<String> documented = new ArrayList<>();
        document.at("/components/schemas/Metrics/properties").fieldNames().forEachRemaining(documented::add);
        List<String> written = new ArrayList<>();
        body(new SandboxMetrics(1, Duration.ZERO, 1, T0)).fieldNames().forEachRemaining(written::add);
        assertEquals(written.stream().sorted().toList(), documented.stream().sorted().toList());
    }
}
