package io.msb.metrics.internal;

import io.msb.api.TerminationReason;
import io.msb.api.spi.PlatformObserver;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.Locale;

/** The platform's events as Prometheus counters and histograms (decision 1871). */
final class PlatformMetrics implements PlatformObserver {
    /** A create is a pull plus a boot: from tens of milliseconds (warm pool, KVM) to minutes (a big pull under TCG). */
    private static final double[] CREATE_BUCKETS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
    private static final double[] EXEC_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    private static final double[] PULL_BUCKETS = {0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600};
    private static final String UNKNOWN = "unknown";

    private final Counter creates;
    private final Counter starts;
    private final Counter stops;
    private final Counter failures;
    private final Histogram createReady;
    private final Histogram exec;
    private final Counter pulls;
    private final Counter pullBytes;
    private final Histogram pullSeconds;

    PlatformMetrics(PrometheusRegistry registry) {
        creates = Counter.builder().name("msb_sandbox_creates_total").help("Sandboxes created and ready")
                .labelNames("backend").register(registry);
        starts = Counter.builder().name("msb_sandbox_starts_total")
                .help("VM boots that reached a ready agent (a create's boot included)").labelNames("backend")
                .register(registry);
        stops = Counter.builder().name("msb_sandbox_stops_total").help("Runs ended, by termination reason")
                .labelNames("reason").register(registry);
        failures = Counter.builder().name("msb_sandbox_failures_total")
                .help("Creates and starts that failed, by stage and the kind of error").labelNames("stage", "kind")
                .register(registry);
        createReady = Histogram.builder().name("msb_sandbox_create_ready_seconds")
                .help("From a create call to the guest ready, the image pull included").unit(Unit.SECONDS)
                .classicOnly().classicUpperBounds(CREATE_BUCKETS).withoutExemplars().labelNames("backend")
                .register(registry);
        exec = Histogram.builder().name("msb_exec_duration_seconds").help("Commands run in sandboxes, from the request to their exit")
                .unit(Unit.SECONDS).classicOnly().classicUpperBounds(EXEC_BUCKETS).withoutExemplars()
                .register(registry);
        pulls = Counter.builder().name("msb_image_pulls_total")
                .help("Image pulls; cache=hit when the image was complete in the cache").labelNames("cache")
                .register(registry);
        pullBytes = Counter.builder().name("msb_image_pull_bytes_total")
                .help("Compressed bytes of the images pulled from registries").unit(Unit.BYTES).register(registry);
        pullSeconds = Histogram.builder().name("msb_image_pull_duration_seconds")
                .help("Image pulls, cache hits included").unit(Unit.SECONDS).classicOnly()
                .classicUpperBounds(PULL_BUCKETS).withoutExemplars().labelNames("cache").register(registry);
    }

    @Override
    public void created(String sandbox, String backend, Duration took) {
        creates.labelValues(orUnknown(backend)).inc();
        createReady.labelValues(orUnknown(backend)).observe(seconds(took));
    }

    @Override
    public void started(String sandbox, String backend, Duration took) {
        starts.labelValues(orUnknown(backend)).inc();
    }

    @Override
    public void stopped(String sandbox, TerminationReason reason) {
        stops.labelValues(reason.name().toLowerCase(Locale.ROOT)).inc();
    }

    /** The kind is the error's class: a bounded set, unlike its message. */
    @Override
    public void failed(String sandbox, String stage, Throwable cause) {
        failures.labelValues(stage, cause.getClass().getSimpleName()).inc();
    }

    @Override
    public void execFinished(String sandbox, Duration took) {
        exec.observe(seconds(took));
    }

    @Override
    public void pulled(String reference, long bytes, Duration took, boolean cacheHit) {
        String cache = cacheHit ? "hit" : "miss";
        pulls.labelValues(cache).inc();
        pullBytes.inc(bytes);
        pullSeconds.labelValues(cache).observe(seconds(took));
    }

    private static String orUnknown(String value) {
        return value == null || value.isEmpty() ? UNKNOWN : value;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
