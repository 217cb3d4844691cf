package io.msb.metrics.internal;

import io.msb.api.SandboxService;
import io.msb.api.TerminationReason;
import io.msb.api.spi.BearerCheck;
import io.msb.api.spi.PlatformObserver;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.whiteboard.annotations.RequireHttpWhiteboard;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * {@code GET /metrics} in the Prometheus text format, beside {@code /v1} on the msb HTTP service, and the
 * {@link PlatformObserver} that counts what the runtime and the image service report (decisions 1870–1873). One
 * component for both, so the events and the scrape share one registry; a new configuration starts both afresh.
 */
@Component(service = {Servlet.class, PlatformObserver.class}, configurationPid = MetricsConfig.PID)
@Designate(ocd = MetricsConfig.class)
@HttpWhiteboardServletPattern("/metrics")
@HttpWhiteboardServletName("msb-metrics")
@RequireHttpWhiteboard
public final class MetricsServlet extends HttpServlet implements PlatformObserver {
    private static final long serialVersionUID = 1L;
    /** A scrape's text is built in memory before it is sent; past this the scrape is refused rather than grown. */
    private static final int MAX_SCRAPE_BYTES = 16 << 20;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient SandboxService sandboxes;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient BearerCheck apiKeys;

    private final transient PrometheusRegistry registry = new PrometheusRegistry();
    private final transient PlatformMetrics events;
    private final transient ScrapeAccess access;
    private final transient PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    @Activate
    public MetricsServlet(MetricsConfig config) {
        this.events = new PlatformMetrics(registry);
        this.access = new ScrapeAccess(config.access(), config.metricsKeys(), () -> apiKeys);
        registry.register(new SandboxCollector(() -> sandboxes, config.maxSandboxes(),
                Duration.ofMillis(config.scrapeBudgetMillis())));
        if (config.jvm()) {
            JvmMetrics.builder().register(registry);
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!access.allows(req.getRemoteAddr(), req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"msb metrics\"");
            resp.setContentType("text/plain;charset=utf-8");
            resp.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            resp.getWriter().write("/metrics needs Authorization: Bearer <key> (" + access.describe() + ")\n");
            return;
        }
        ByteArrayOutputStream text = new ByteArrayOutputStream(64 << 10);
        writer.write(text, registry.scrape());
        if (text.size() > MAX_SCRAPE_BYTES) {
            resp.sendError(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "the scrape is larger than "
                    + MAX_SCRAPE_BYTES + " bytes; lower 'Sandboxes scraped' in the io.msb.metrics configuration");
            return;
        }
        resp.setContentType(writer.getContentType());
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(text.size());
        text.writeTo(resp.getOutputStream());
    }

    @Override
    public void created(String sandbox, String backend, Duration took) {
        events.created(sandbox, backend, took);
    }

    @Override
    public void started(String sandbox, String backend, Duration took) {
        events.started(sandbox, backend, took);
    }

    @Override
    public void stopped(String sandbox, TerminationReason reason) {
        events.stopped(sandbox, reason);
    }

    @Override
    public void failed(String sandbox, String stage, Throwable cause) {
        events.failed(sandbox, stage, cause);
    }

    @Override
    public void execFinished(String sandbox, Duration took) {
        events.execFinished(sandbox, took);
    }

    @Override
    public void pulled(String reference, long bytes, Duration took, boolean cacheHit) {
        events.pulled(reference, bytes, took, cacheHit);
    }
}
