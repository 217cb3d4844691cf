package io.msb.metrics.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "msb metrics",
        description = "GET /metrics in the Prometheus text format: who may read it and how much a scrape may cost.")
public @interface MetricsConfig {
    String PID = "io.msb.metrics";

    /** Who may scrape (decision 1872). */
    enum Access {
        /** A key of the HTTP API (io.msb.http) or one of the metrics keys. */
        API_KEYS,
        /** Only one of the metrics keys. */
        METRICS_KEYS,
        /** No credential from a loopback address; from elsewhere as API_KEYS. */
        OPEN_ON_LOOPBACK
    }

    @AttributeDefinition(name = "Access",
            description = "API_KEYS: the HTTP API's bearer keys or a metrics key; METRICS_KEYS: only a metrics key; "
                    + "OPEN_ON_LOOPBACK: no credential from 127.0.0.0/8 or ::1, otherwise as API_KEYS.")
    Access access() default Access.API_KEYS;

    @AttributeDefinition(name = "Metrics keys", type = AttributeType.PASSWORD,
            description = "Bearer keys that may read /metrics only (a scraper need not hold a key that runs sandboxes).")
    String[] metricsKeys() default {};

    @AttributeDefinition(name = "Sandboxes scraped",
            description = "Running sandboxes whose guest figures one scrape reads at most (by name); the rest are "
                    + "counted in msb_metrics_sandboxes_skipped.", min = "0", max = "10000")
    int maxSandboxes() default 100;

    @AttributeDefinition(name = "Scrape budget (milliseconds)",
            description = "Time one scrape may spend reading guest figures; sandboxes left when it is spent are skipped.",
            min = "10", max = "60000")
    int scrapeBudgetMillis() default 2000;

    @AttributeDefinition(name = "JVM metrics", description = "Also export the JVM's memory, GC, threads, classes.")
    boolean jvm() default true;
}
