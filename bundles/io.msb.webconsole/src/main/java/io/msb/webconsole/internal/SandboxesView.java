package io.msb.webconsole.internal;

import io.msb.api.Mount;
import io.msb.api.RootfsSource;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Sandboxes page's HTML: the listing with its actions and create form, and one sandbox's detail. Every value
 * goes through {@link Html}; this class only lays them out.
 *
 * @param root the page's URL ({@code /system/console/msb})
 * @param token the anti-forgery token of the user's forms
 * @param now the time uptimes and idle times are measured to
 */
record SandboxesView(String root, String token, Instant now) {
    /** Most labels shown per sandbox in the listing (the detail shows every one). */
    static final int LABELS_SHOWN = 8;

    /** One page of the listing; {@code next} is the name to continue after, or null on the last page. */
    void list(Html h, List<SandboxInfo> sandboxes, String next, Flash.Message message) {
        ConsolePage.head(h, root);
        ConsolePage.message(h, message);
        h.raw("<p class=\"statline\">").text(sandboxes.size() + (next != null ? "+" : "") + " sandbox"
                + (sandboxes.size() == 1 ? "" : "es")).raw("</p>");
        h.raw("<table class=\"nicetable msb-sandboxes\"><thead><tr><th>Name</th><th>Status</th><th>Image</th>"
                + "<th>Backend</th><th>CPUs</th><th>Memory</th><th>Uptime</th><th>Idle</th><th>Labels</th>"
                + "<th>Actions</th></tr></thead><tbody>");
        if (sandboxes.isEmpty()) {
            h.raw("<tr><td colspan=\"10\">No sandboxes yet: create one below.</td></tr>");
        }
        for (SandboxInfo s : sandboxes) {
            row(h, s);
        }
        h.raw("</tbody></table>");
        if (next != null) {
            h.raw("<p class=\"msb-paging\"><a").attr("href", root + "?after=" + Html.query(next))
                    .raw(">Next page &raquo;</a></p>");
        }
        createForm(h, message);
    }

    private void row(Html h, SandboxInfo s) {
        SandboxSpec spec = s.spec();
        h.raw("<tr class=\"msb-row\"").attr("data-name", s.name()).raw("><td><a class=\"msb-name\"")
                .attr("href", root + "?name=" + Html.query(s.name())).raw(">").text(s.name()).raw("</a></td>");
        status(h, s);
        h.raw("<td>").text(image(spec)).raw("</td><td>").text(backend(s)).raw("</td><td>")
                .text(spec.cpus()).raw("</td><td>").text(spec.memoryMib() + " MiB").raw("</td>");
        h.raw("<td class=\"msb-uptime\">").text(uptime(s)).raw("</td><td class=\"msb-idle\">").text(idle(s))
                .raw("</td><td>");
        labels(h, spec.labels(), LABELS_SHOWN);
        h.raw("</td><td class=\"msb-actions\">");
        actions(h, s, false);
        h.raw("</td></tr>");
    }

    private static void status(Html h, SandboxInfo s) {
        String status = s.status().name();
        h.raw("<td><span").attr("class", "msb-status msb-" + status.toLowerCase()).raw(">").text(status)
                .raw("</span>");
        if (!s.backendAvailable()) {
            h.raw(" <span class=\"msb-warn\">(backend unavailable)</span>");
        }
        h.raw("</td>");
    }

    /** The action buttons a sandbox in its status can take. */
    private void actions(Html h, SandboxInfo s, boolean fromDetail) {
        boolean live = s.status().expectsLiveVm();
        if (!live) {
            action(h, s.name(), "start", "Start", fromDetail);
        }
        if (live) {
            action(h, s.name(), "stop", "Stop", fromDetail);
            action(h, s.name(), "kill", "Kill", fromDetail);
        }
        action(h, s.name(), "remove", "Remove", false);
    }

    private void action(Html h, String name, String action, String label, boolean back) {
        h.raw("<form method=\"post\" class=\"msb-inline\"").attr("action", root).raw(">").hidden("action", action)
                .hidden(Csrf.FIELD, token).hidden("name", name);
        if (back) {
            h.hidden("back", name);
        }
        h.raw("<button type=\"submit\"").attr("class", "ui-button msb-" + action).raw(">").text(label)
                .raw("</button></form>");
    }

    /** The labels in key order, at most {@code max} of them. */
    static void labels(Html h, Map<String, String> labels, int max) {
        int shown = 0;
        for (Map.Entry<String, String> l : new java.util.TreeMap<>(labels).entrySet()) {
            if (shown++ == max) {
                h.raw("<span class=\"msb-more\">").text("+" + (labels.size() - max) + " more").raw("</span>");
                break;
            }
            h.raw("<span class=\"msb-label\">").text(l.getKey() + "=" + l.getValue()).raw("</span> ");
        }
    }

    private void createForm(Html h, Flash.Message message) {
        Map<String, String> form = message != null && message.error() ? message.form() : Map.of();
        h.raw("<h3 class=\"msb-h\">Create a sandbox</h3>");
        h.raw("<form method=\"post\" class=\"msb-create\"").attr("action", root).raw(">").hidden("action", "create")
                .hidden(Csrf.FIELD, token);
        h.raw("<table class=\"nicetable\"><tbody>");
        field(h, "Image", "image", form.getOrDefault("image", "builtin:busybox"), "builtin:busybox, alpine:3.20, …");
        field(h, "Name", "name", form.getOrDefault("name", ""), "unique name");
        field(h, "CPUs", "cpus", form.getOrDefault("cpus", ""), "default");
        field(h, "Memory (MiB)", "memory", form.getOrDefault("memory", ""), "default");
        h.raw("<tr><td><label for=\"msb-labels\">Labels</label></td><td><textarea id=\"msb-labels\" name=\"labels\""
                + " rows=\"3\" cols=\"40\" placeholder=\"key=value, one per line\">")
                .text(form.getOrDefault("labels", "")).raw("</textarea></td></tr>");
        h.raw("<tr><td></td><td><button type=\"submit\" class=\"ui-button msb-create-submit\">Create</button>"
                + "</td></tr></tbody></table></form>");
    }

    static void field(Html h, String label, String name, String value, String placeholder) {
        h.raw("<tr><td><label").attr("for", "msb-" + name).raw(">").text(label).raw("</label></td><td><input")
                .attr("id", "msb-" + name).attr("name", name).attr("value", value).attr("placeholder", placeholder)
                .raw(" size=\"40\"></td></tr>");
    }

    /**
     * One sandbox: its status and actions, spec, runs, live metrics and the end of its logs.
     *
     * @param runs its runs, newest first (at most {@link SandboxesPlugin#RUNS})
     * @param metrics the sampled figures, or null when it does not run
     * @param cpuPercent CPU use as the runtime measured it (decision 1876), or null when unknown
     * @param logs the last lines of its logs (at most {@link SandboxesPlugin#LOG_LINES})
     */
    void detail(Html h, SandboxInfo s, List<RunInfo> runs, SandboxMetrics metrics, Double cpuPercent,
            String metricsError,
            List<LogEntry> logs, String logsError, Flash.Message message) {
        ConsolePage.head(h, root);
        ConsolePage.message(h, message);
        h.raw("<p class=\"statline\"><a").attr("href", root).raw(">&laquo; Sandboxes</a></p>");
        h.raw("<h3 class=\"msb-h\">Sandbox <span class=\"msb-detail-name\">").text(s.name()).raw("</span> ");
        h.raw("<span").attr("class", "msb-status msb-" + s.status().name().toLowerCase()).raw(">")
                .text(s.status().name()).raw("</span></h3><div class=\"msb-actions\">");
        actions(h, s, true);
        h.raw("</div>");
        spec(h, s);
        runs(h, runs);
        metrics(h, s.name(), metrics, cpuPercent, metricsError);
        h.raw("<h3 class=\"msb-h\">Logs (last ").text(SandboxesPlugin.LOG_LINES).raw(" lines)</h3>");
        if (logsError != null) {
            h.raw("<p class=\"msb-warn\">").text(logsError).raw("</p>");
        } else {
            h.raw("<pre class=\"msb-logs\">");
            for (LogEntry e : logs) {
                h.raw("<span").attr("class", "msb-log-" + e.source().name().toLowerCase()).raw(">")
                        .text(e.source() == LogSource.STDOUT || e.source() == LogSource.OUTPUT ? e.text()
                                : "[" + e.source().name().toLowerCase() + "] " + e.text())
                        .raw("</span>\n");
            }
            if (logs.isEmpty()) {
                h.text("(no log entries)");
            }
            h.raw("</pre>");
        }
    }

    private static void spec(Html h, SandboxInfo s) {
        SandboxSpec spec = s.spec();
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("Id", s.id() == null ? "" : s.id().toString());
        rows.put("Image", image(spec));
        rows.put("Backend", backend(s));
        rows.put("CPUs", Integer.toString(spec.cpus()));
        rows.put("Memory", spec.memoryMib() + " MiB");
        rows.put("Disk", spec.diskSizeMib() == 0 ? "default" : spec.diskSizeMib() + " MiB");
        rows.put("Network", spec.networkEnabled() ? "on" : "off");
        rows.put("Workdir", spec.workdir() == null ? "(image's)" : spec.workdir());
        rows.put("User", spec.user() == null ? "(image's)" : spec.user());
        rows.put("Hostname", spec.hostname() == null ? "" : spec.hostname());
        rows.put("Idle timeout", spec.idleTimeout() == null ? "none" : Format.duration(spec.idleTimeout()));
        rows.put("Max duration", spec.maxDuration() == null ? "none" : Format.duration(spec.maxDuration()));
        // values of env may be secrets: the names only
        rows.put("Environment", String.join(", ", spec.env().keySet()));
        rows.put("Mounts", String.join(", ", spec.mounts().stream().map(SandboxesView::mount).toList()));
        rows.put("Created", Format.time(s.createdAt()));
        rows.put("Status since", Format.time(s.updatedAt()));
        h.raw("<table class=\"nicetable msb-spec\"><thead><tr><th colspan=\"2\">Spec</th></tr></thead><tbody>");
        rows.forEach((k, v) -> h.raw("<tr><td>").text(k).raw("</td><td>").text(v).raw("</td></tr>"));
        h.raw("<tr><td>Labels</td><td>");
        labels(h, spec.labels(), Integer.MAX_VALUE);
        h.raw("</td></tr></tbody></table>");
    }

    private static String mount(Mount m) {
        return m.guestPath() + " ← " + m.kind().name().toLowerCase() + " " + (m.source() == null ? "" : m.source())
                + (m.readOnly() ? " (ro)" : "");
    }

    private static void runs(Html h, List<RunInfo> runs) {
        h.raw("<table class=\"nicetable msb-runs\"><thead><tr><th>Run</th><th>PID</th><th>Started</th>"
                + "<th>Ended</th><th>Termination reason</th><th>Exit code</th><th>Signal</th></tr></thead><tbody>");
        if (runs.isEmpty()) {
            h.raw("<tr><td colspan=\"7\">never started</td></tr>");
        }
        for (RunInfo r : runs) {
            h.raw("<tr><td>").text(r.id()).raw("</td><td>").text(r.pid()).raw("</td><td>")
                    .text(Format.time(r.startedAt())).raw("</td><td>").text(Format.time(r.terminatedAt()))
                    .raw("</td><td>").text(r.reason() == null ? (r.running() ? "(running)" : "") : r.reason().name())
                    .raw("</td><td>").text(r.exitCode() == null ? "" : r.exitCode()).raw("</td><td>")
                    .text(r.signal() == null ? "" : r.signal()).raw("</td></tr>");
        }
        h.raw("</tbody></table>");
    }

    private static void metrics(Html h, String name, SandboxMetrics m, Double cpuPercent, String error) {
        h.raw("<table class=\"nicetable msb-metrics\"").attr("data-name", name)
                .raw("><thead><tr><th colspan=\"2\">Metrics</th></tr></thead><tbody>");
        if (m == null) {
            h.raw("<tr><td colspan=\"2\">").text(error != null ? error : "not running").raw("</td></tr>");
        } else {
            for (Map.Entry<String, String> row : metricRows(m, cpuPercent).entrySet()) {
                h.raw("<tr><td>").text(row.getKey()).raw("</td><td").attr("data-metric", row.getKey()).raw(">")
                        .text(row.getValue()).raw("</td></tr>");
            }
        }
        h.raw("</tbody></table>");
    }

    /** The metrics as the page and its live refresh show them, by row title. */
    static Map<String, String> metricRows(SandboxMetrics m, Double cpuPercent) {
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("CPU", cpuPercent == null ? "…" : String.format(java.util.Locale.ROOT, "%.1f %%", cpuPercent));
        rows.put("CPU time", Format.duration(m.cpuTime()));
        rows.put("VM resident memory", Format.bytes(m.rssBytes()));
        rows.put("Guest memory used", m.guestMemory() == null ? "not reported"
                : Format.bytes(m.guestMemory().usedBytes()) + " of " + Format.bytes(m.guestMemory().totalBytes()));
        rows.put("Network rx", m.network() == null ? "no network"
                : Format.bytes(m.network().rxBytes()) + " (" + m.network().rxPackets() + " packets)");
        rows.put("Network tx", m.network() == null ? "no network"
                : Format.bytes(m.network().txBytes()) + " (" + m.network().txPackets() + " packets)");
        rows.put("VM pid", Long.toString(m.pid()));
        return rows;
    }

    static String image(SandboxSpec spec) {
        RootfsSource root = spec.rootfs();
        if (root == null) {
            return "snapshot " + spec.fromSnapshot();
        }
        if (root instanceof RootfsSource.OciImage oci) {
            return oci.reference().text();
        }
        if (root instanceof RootfsSource.HostDirectory dir) {
            return "dir:" + dir.path();
        }
        return root instanceof RootfsSource.DiskImage disk ? "disk:" + disk.path() : root.toString();
    }

    private static String backend(SandboxInfo s) {
        return s.spec().backend() == null ? "default" : s.spec().backend();
    }

    /** Time since the current run started, while the VM runs. */
    String uptime(SandboxInfo s) {
        return s.status().expectsLiveVm() && s.currentRun().filter(RunInfo::running).isPresent()
                ? Format.duration(Duration.between(s.currentRun().get().startedAt(), now)) : "";
    }

    /**
     * How long it has stood still: since its last run ended (or it was made) while it does not run; while it runs
     * the API reports no guest activity, so the idle timeout it is subject to is shown instead.
     */
    String idle(SandboxInfo s) {
        if (s.status() == SandboxStatus.PAUSED) {
            return "paused " + Format.duration(Duration.between(s.updatedAt(), now));
        }
        if (s.status().expectsLiveVm()) {
            return s.spec().idleTimeout() == null ? "–" : "stops after " + Format.duration(s.spec().idleTimeout());
        }
        Instant since = s.currentRun().map(RunInfo::terminatedAt).orElse(s.updatedAt());
        return Format.duration(Duration.between(since == null ? s.updatedAt() : since, now));
    }
}
