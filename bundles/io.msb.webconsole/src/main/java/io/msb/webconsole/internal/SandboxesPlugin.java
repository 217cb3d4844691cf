package io.msb.webconsole.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.LabelSelector;
import io.msb.api.RunInfo;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxStore;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.felix.webconsole.servlet.ServletConstants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The Web Console's "Sandboxes" page ({@code /system/console/msb}): every sandbox, page by page, with its actions
 * and a create form; {@code ?name=…} one sandbox in detail. {@code status.json} and {@code metrics.json} feed the
 * page's live refresh; without JavaScript the page works by reloading.
 */
@Component(service = Servlet.class, configurationPid = "io.msb.webconsole", property = {
        ServletConstants.PLUGIN_LABEL + "=" + SandboxesPlugin.LABEL,
        ServletConstants.PLUGIN_TITLE + "=Sandboxes",
        ServletConstants.PLUGIN_CATEGORY + "=" + SandboxesPlugin.CATEGORY})
@Designate(ocd = SandboxesPlugin.Config.class)
public final class SandboxesPlugin extends ConsolePage {
    private static final long serialVersionUID = 1L;
    static final String LABEL = "msb";
    static final String CATEGORY = "msb";
    /** Lines of a sandbox's logs its detail shows. */
    static final int LOG_LINES = 200;
    /** Runs a sandbox's detail lists, newest first. */
    static final int RUNS = 20;
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int MAX_RESOURCES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @ObjectClassDefinition(name = "msb Web Console", description = "The msb pages of the Felix Web Console.")
    public @interface Config {
        @AttributeDefinition(name = "Sandboxes per page", min = "1", max = "500",
                description = "How many sandboxes the Sandboxes page lists at once (the rest on further pages).")
        int pageSize() default 50;
    }

    private final transient SandboxService sandboxes;
    /** Earlier runs of local sandboxes; without it (or for a sandbox on another server) the current run only. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile transient SandboxStore store;
    private final int pageSize;

    @Activate
    public SandboxesPlugin(@Reference SandboxService sandboxes, Config config) {
        super(LABEL, List.of("image", "name", "cpus", "memory", "labels"));
        this.sandboxes = sandboxes;
        this.pageSize = Math.max(1, Math.min(500, config.pageSize()));
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException, jakarta.servlet.ServletException {
        String path = request.getPathInfo() == null ? "" : request.getPathInfo();
        if (path.endsWith("/status.json")) {
            List<Map<String, String>> rows = new ArrayList<>();
            SandboxesView view = new SandboxesView(root(request), "", Instant.now());
            for (SandboxInfo s : page(request.getParameter("after"))) {
                Map<String, String> row = new LinkedHashMap<>();
                row.put("name", s.name());
                row.put("status", s.status().name());
                row.put("uptime", view.uptime(s));
                row.put("idle", view.idle(s));
                rows.add(row);
            }
            json(response, Map.of("sandboxes", rows));
        } else if (path.endsWith("/metrics.json")) {
            String name = request.getParameter("name");
            Optional<SandboxInfo> s = name == null ? Optional.empty() : sandboxes.get(name);
            Map<String, Object> body = new LinkedHashMap<>();
            s.ifPresent(info -> {
                body.put("status", info.status().name());
                if (info.status().expectsLiveVm()) {
                    try {
                        SandboxMetrics m = sandboxes.handle(name).metrics();
                        body.put("metrics", SandboxesView.metricRows(m, m.cpuPercent()));
                    } catch (RuntimeException e) {
                        body.put("error", Forms.error(e, Map.of()).text());
                    }
                }
            });
            json(response, body);
        } else {
            super.doGet(request, response);
        }
    }

    private static void json(HttpServletResponse response, Object body) throws IOException {
        setNoCache(response);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        JSON.writeValue(response.getWriter(), body);
    }

    /** One page of sandboxes, and one more to know whether another page follows. */
    private List<SandboxInfo> page(String after) {
        return sandboxes.list(LabelSelector.ALL, after == null || after.isEmpty() ? null : after, pageSize + 1);
    }

    @Override
    public void renderContent(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Flash.Message message = flash.take(request.getParameter("flash"));
        SandboxesView view = new SandboxesView(root(request), csrf.token(request), Instant.now());
        Html h = new Html();
        String name = request.getParameter("name");
        if (name != null) {
            Optional<SandboxInfo> s = sandboxes.get(name);
            if (s.isPresent()) {
                detail(view, h, s.get(), message);
            } else {
                view.list(h, List.of(), null, Forms.error(new NotFoundException("sandbox", name), Map.of()));
            }
        } else {
            List<SandboxInfo> page = page(request.getParameter("after"));
            String next = page.size() > pageSize ? page.get(pageSize - 1).name() : null;
            view.list(h, page.subList(0, Math.min(pageSize, page.size())), next, message);
        }
        writeHtml(response, h);
    }

    private void detail(SandboxesView view, Html h, SandboxInfo s, Flash.Message message) {
        SandboxMetrics metrics = null;
        Double percent = null;
        String metricsError = null;
        if (s.status().expectsLiveVm()) {
            try {
                metrics = sandboxes.handle(s.name()).metrics();
                percent = metrics.cpuPercent(); // the runtime's window (decision 1876)
            } catch (RuntimeException e) {
                metricsError = "metrics unavailable: " + Forms.error(e, Map.of()).text();
            }
        }
        List<LogEntry> logs = List.of();
        String logsError = null;
        try {
            logs = lastLines(s.name());
        } catch (RuntimeException e) {
            logsError = "logs unavailable: " + Forms.error(e, Map.of()).text();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            logsError = "interrupted while reading the logs";
        }
        view.detail(h, s, runs(s), metrics, percent, metricsError, logs, logsError, message);
    }

    /** Its last {@link #RUNS} runs, newest first, as the store recorded them; else the one the service reports. */
    private List<RunInfo> runs(SandboxInfo s) {
        SandboxStore recorded = store;
        List<RunRecord> all = recorded == null ? List.of() : recorded.runs(s.name());
        if (all.isEmpty()) {
            return s.currentRun().stream().toList();
        }
        List<RunInfo> newestFirst = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0 && newestFirst.size() < RUNS; i--) {
            newestFirst.add(all.get(i).toInfo());
        }
        return newestFirst;
    }

    /** The last {@link #LOG_LINES} lines of the sandbox's stored logs, an entry split at its line breaks. */
    private List<LogEntry> lastLines(String name) throws InterruptedException {
        ArrayDeque<LogEntry> last = new ArrayDeque<>(LOG_LINES + 1);
        try (LogStream stream = sandboxes.logs(name, EnumSet.allOf(LogSource.class), LogCursor.EMPTY, false)) {
            for (List<LogEntry> batch = stream.next(1000, Duration.ZERO); !batch.isEmpty();
                    batch = stream.next(1000, Duration.ZERO)) {
                for (LogEntry e : batch) {
                    for (String line : e.text().split("\r?\n")) {
                        last.addLast(new LogEntry(e.source(), e.time(), line, e.session(), e.cursor()));
                        if (last.size() > LOG_LINES) {
                            last.removeFirst();
                        }
                    }
                }
            }
        }
        return List.copyOf(last);
    }

    @Override
    Outcome act(String action, HttpServletRequest request) {
        String name = Forms.required("name", request.getParameter("name"));
        String back = request.getParameter("back");
        String detail = back == null ? "" : "name=" + Html.query(name);
        switch (action) {
            case "create" -> {
                String image = Forms.required("image", request.getParameter("image"));
                SandboxSpec spec = SandboxSpec.builder(name).image(image)
                        .cpus(Forms.number("cpus", request.getParameter("cpus"), 256))
                        .memoryMib(Forms.number("memory", request.getParameter("memory"), MAX_RESOURCES))
                        .labels(Forms.labels(request.getParameter("labels"))).detached(true).build();
                SandboxInfo created = sandboxes.create(spec).info();
                return new Outcome("", Flash.Message.ok("Created sandbox " + name + ": " + created.status()));
            }
            case "start" -> sandboxes.start(name);
            case "stop" -> sandboxes.stop(name, STOP_GRACE);
            case "kill" -> sandboxes.kill(name);
            case "remove" -> {
                sandboxes.remove(name, false);
                return new Outcome("", Flash.Message.ok("Removed sandbox " + name));
            }
            default -> throw io.msb.api.Check.invalid("action", "unknown action " + action);
        }
        String status = sandboxes.get(name).map(s -> s.status().name()).orElse("gone");
        return new Outcome(detail, Flash.Message.ok(action + " " + name + ": " + status));
    }
}
