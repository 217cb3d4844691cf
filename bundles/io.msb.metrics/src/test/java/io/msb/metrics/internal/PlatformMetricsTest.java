package io.msb.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.TerminationReason;
import io.msb.api.spi.PlatformObserver;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlatformMetricsTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PlatformMetrics metrics = new PlatformMetrics(registry);

    /** The text format parsed back: sample line (name and labels) to value. */
    private Map<String, Double> scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        Map<String, Double> samples = new HashMap<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return samples;
    }

    @Test
    void eventsBecomeCountersAndHistogramsInTheTextFormat() throws IOException {
        metrics.created("a", "qemu", Duration.ofMillis(700));
        metrics.created("b", null, Duration.ofSeconds(3));
        metrics.started("a", "qemu", Duration.ofMillis(600));
        metrics.stopped("a", TerminationReason.IDLE_TIMEOUT);
        metrics.failed("c", "create", new InvalidConfigException("image", "bad"));
        metrics.execFinished("a", Duration.ofMillis(20));
        metrics.pulled("docker.io/library/alpine:3", 3_000_000, Duration.ofSeconds(2), false);
        metrics.pulled("docker.io/library/alpine:3", 0, Duration.ofMillis(1), true);

        Map<String, Double> s = scrape();
        assertEquals(1.0, s.get("msb_sandbox_creates_total{backend=\"qemu\"}"));
        assertEquals(1.0, s.get("msb_sandbox_creates_total{backend=\"unknown\"}"));
        assertEquals(1.0, s.get("msb_sandbox_starts_total{backend=\"qemu\"}"));
        assertEquals(1.0, s.get("msb_sandbox_stops_total{reason=\"idle_timeout\"}"));
        assertEquals(1.0, s.get("msb_sandbox_failures_total{kind=\"InvalidConfigException\",stage=\"create\"}"));
        assertEquals(1.0, s.get("msb_sandbox_create_ready_seconds_count{backend=\"qemu\"}"));
        assertEquals(0.7, s.get("msb_sandbox_create_ready_seconds_sum{backend=\"qemu\"}"), 1e-9);
        assertEquals(0.0, s.get("msb_sandbox_create_ready_seconds_bucket{backend=\"qemu\",le=\"0.5\"}"));
        assertEquals(1.0, s.get("msb_sandbox_create_ready_seconds_bucket{backend=\"qemu\",le=\"1.0\"}"));
        assertEquals(1.0, s.get("msb_exec_duration_seconds_count"));
        assertEquals(1.0, s.get("msb_exec_duration_seconds_bucket{le=\"0.025\"}"));
        assertEquals(1.0, s.get("msb_image_pulls_total{cache=\"hit\"}"));
        assertEquals(1.0, s.get("msb_image_pulls_total{cache=\"miss\"}"));
        assertEquals(3_000_000.0, s.get("msb_image_pull_bytes_total"));
        assertEquals(1.0, s.get("msb_image_pull_duration_seconds_count{cache=\"miss\"}"));
    }

    @Test
    void anObserverThatThrowsNeitherStopsTheOthersNorTheCaller() throws IOException {
        PlatformObserver broken = new PlatformObserver() {
            @Override
            public void execFinished(String sandbox, Duration took) {
                throw new IllegalStateException("broken observer");
            }
        };
        PlatformObserver.tellAll(List.of(broken, metrics), o -> o.execFinished("a", Duration.ofSeconds(1)));
        assertEquals(1.0, scrape().get("msb_exec_duration_seconds_count"));
    }

    @Test
    void scrapeAccessTakesMetricsKeysApiKeysOrLoopbackAsConfigured() {
        var apiKey = (io.msb.api.spi.BearerCheck) a -> "Bearer api".equals(a);
        var keys = new String[] {" scrape "};
        ScrapeAccess api = new ScrapeAccess(MetricsConfig.Access.API_KEYS, keys, () -> apiKey);
        assertTrue(api.allows("10.0.0.1", "Bearer api"));
        assertTrue(api.allows("10.0.0.1", "bearer scrape"));
        assertFalse(api.allows("127.0.0.1", null));
        assertFalse(api.allows("127.0.0.1", "Bearer wrong"));
        ScrapeAccess only = new ScrapeAccess(MetricsConfig.Access.METRICS_KEYS, keys, () -> apiKey);
        assertFalse(only.allows("127.0.0.1", "Bearer api"));
        assertTrue(only.allows("127.0.0.1", "Bearer scrape"));
        ScrapeAccess loop = new ScrapeAccess(MetricsConfig.Access.OPEN_ON_LOOPBACK, new String[0], () -> null);
        assertTrue(loop.allows("127.0.0.1", null));
        assertTrue(loop.allows("::1", null));
        assertFalse(loop.allows("192.168.1.1", null));
        assertFalse(new ScrapeAccess(MetricsConfig.Access.API_KEYS, null, () -> null).allows("127.0.0.1", "Bearer api"));
    }
}
