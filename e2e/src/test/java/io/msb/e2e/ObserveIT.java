package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code msb stats}, {@code top}/{@code ps NAME} and {@code info} (decisions 1033-1036) of the real CLI against the
 * built server and a real sandbox: the guest's processes come from its /proc through the agent, memory from the
 * guest's meminfo, traffic from the network stack, the backend's acceleration and kernel from the server. Also
 * {@code bench/cli/observe.sh}, printed (never asserted).
 */
class ObserveIT {
    private static final String BOX = "observe-box";
    private static final java.nio.file.Path BENCH = java.nio.file.Path.of("../bench/cli/observe.sh").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static MsbServer server;

    @BeforeAll
    static void start() throws Exception {
        Platform.requireHostTools();
        server = MsbServer.startBuilt();
        HostCommand.Result created = server.msb("create", "--name", BOX, "--memory", "256", "builtin:busybox");
        assertEquals(0, created.exit(), created.output() + server.logTail());
        // a bounded busy loop and a sleeper that outlive their exec (their output goes nowhere, so the exec ends)
        ok(server.msb("exec", BOX, "--", "sh", "-c", "(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done) >/dev/null 2>&1 & "
            + "sleep 300 >/dev/null 2>&1 & nslookup example.invalid >/dev/null 2>&1; true"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void topAndPsListTheGuestsProcessesFromItsProc() throws Exception {
        HostCommand.Result top = ok(server.msb("top", BOX));
        List<String> lines = top.output().lines().toList();
        assertTrue(lines.get(0).matches("PID +USER +%CPU +TIME +RSS +STAT +COMMAND"), top.output());
        assertTrue(Pattern.compile("(?m)^1 +root +[0-9.]+ +[0-9:]+ +[0-9.]+ [KM]iB +[A-Z] +").matcher(top.output()).find(),
            "PID 1, the agent:\n" + top.output());
        assertTrue(Pattern.compile("(?m)^[0-9]+ +root .* sleep 300$").matcher(top.output()).find(), top.output());

        JsonNode processes = JSON.readTree(ok(server.msb("top", BOX, "--json")).output());
        JsonNode sleeper = null;
        for (JsonNode p : processes) {
            if (p.path("command").asText().equals("sleep 300")) {
                sleeper = p;
            }
        }
        assertTrue(sleeper != null && sleeper.path("ppid").asInt() > 0 && sleeper.path("rss_bytes").asLong() > 0
            && sleeper.path("state").asText().equals("S"), processes.toString());

        HostCommand.Result pids = ok(server.msb("ps", BOX, "-q"));
        assertTrue(pids.output().lines().anyMatch("1"::equals), pids.output());
        assertTrue(pids.output().lines().allMatch(l -> l.matches("[1-9][0-9]*")), pids.output());
        HostCommand.Result sandboxes = ok(server.msb("ps", "--format", "{{.Name}} {{.Status}}"));
        assertTrue(sandboxes.output().lines().anyMatch((BOX + " running")::equals), sandboxes.output());
    }

    @Test
    void statsReportsCpuGuestMemoryVmRssTrafficDiskAndLimit() throws Exception {
        HostCommand.Result table = ok(server.msb("stats", "--no-stream", BOX));
        assertTrue(table.output().startsWith("NAME "), table.output());
        assertTrue(Pattern.compile("(?m)^" + BOX + " +[0-9.]+% +[0-9.]+ MiB / [0-9.]+ MiB +[0-9.]+% +[0-9.]+ MiB +"
            + "[0-9.]+ [KM]?i?B / [0-9.]+ [KM]?i?B +[0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B +256.0 MiB$")
            .matcher(table.output()).find(), table.output());

        JsonNode row = JSON.readTree(ok(server.msb("stats", "--no-stream", "--format", "json", BOX)).output());
        assertEquals(BOX, row.path("name").asText());
        assertTrue(row.path("pid").asLong() > 1 && row.path("rss_bytes").asLong() > 0, row.toString());
        long total = row.path("guest_memory").path("total_bytes").asLong();
        assertTrue(total > 128L << 20 && total <= 256L << 20, "the guest's MemTotal is below its 256 MiB: " + row);
        assertTrue(row.path("guest_memory").path("used_bytes").asLong() > 0, row.toString());
        assertTrue(row.path("cpu_percent").isNumber(), row.toString());
        assertTrue(row.path("cpu_time_ms").asLong() > 0, "the VM has used CPU time: " + row);
        assertTrue(row.path("network").path("tx_packets").asLong() > 0
            && row.path("network").path("tx_bytes").asLong() > 0, "the guest sent frames (its DNS query): " + row);
        // microsandbox's names for the sample (decision 1877): the guest's block I/O, the memory given, the run's age
        assertTrue(row.path("disk_read_bytes").asLong() > 0, "the guest read its root disk: " + row);
        assertTrue(row.path("disk_write_bytes").isIntegralNumber(), row.toString());
        assertEquals(256L << 20, row.path("memory_limit_bytes").asLong(), row.toString());
        assertTrue(row.path("uptime_secs").asDouble() > 0, row.toString());
        assertEquals(row.path("rss_bytes").asLong(), row.path("memory_host_resident_bytes").asLong(), row.toString());
        assertEquals(row.path("guest_memory").path("used_bytes").asLong(), row.path("memory_bytes").asLong());
        assertEquals(row.path("network").path("tx_bytes").asLong(), row.path("net_tx_bytes").asLong());
        assertEquals(row.path("cpu_time_ms").asLong() * 1_000_000, row.path("vcpu_time_ns").asLong(), row.toString());
        // the Gogo command prints the same sample's figures, one per line
        String shown = server.console("msb:metrics " + BOX);
        assertTrue(shown.contains("Memory limit: 256.0 MiB") && Pattern.compile("(?m)^Disk read: [0-9.]+ [KMG]?i?B")
            .matcher(shown).find() && Pattern.compile("(?m)^CPU: [0-9.]+%").matcher(shown).find(), shown);

        // every running sandbox without NAME; none of the stats options' mistakes get past the parser
        assertTrue(ok(server.msb("stats", "--no-stream", "--format", "{{.Name}}")).output().lines()
            .anyMatch(BOX::equals));
        HostCommand.Result bad = server.msb("stats", "--no-stream", "--format", "{{.Cpu}}", BOX);
        assertEquals(125, bad.exit(), bad.output());
        assertTrue(bad.output().startsWith("msb: --format: unknown field .Cpu at character 1 (fields: .Name, .CPUPerc"),
            bad.output());
    }

    @Test
    void statsRedrawsItsTableOnATerminalUntilInterrupted() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(java.nio.file.Path.of(
            "/usr/bin/script")), "/usr/bin/script is missing (util-linux)");
        // script(1) gives the CLI a pty; timeout sends SIGINT (Ctrl-C) after 15 s, a generous bound for a first draw
        HostCommand.Result tty = HostCommand.run(java.nio.file.Path.of("."), List.of("script", "-qfec",
            "timeout -s INT 15 " + server.bin("msb") + " stats " + BOX, "/dev/null"), server.cliEnv());
        String screen = tty.output();
        assertTrue(screen.contains("\033[H\033[2J"), "the table is drawn from the top of a cleared screen:\n" + screen);
        assertTrue(Pattern.compile("(?m)^" + BOX + " +[0-9.]+% ").matcher(screen.replace("\r", "")).find(), screen);
    }

    @Test
    void infoNamesTheBackendItsAccelerationKernelAndLimits() throws Exception {
        HostCommand.Result text = ok(server.msb("info"));
        assertTrue(Pattern.compile("(?m)^Backend qemu: +available, in use$").matcher(text.output()).find(), text.output());
        assertTrue(Pattern.compile("(?m)^  Acceleration: +(KVM|TCG)$").matcher(text.output()).find(), text.output());
        assertTrue(Pattern.compile("(?m)^  Guest kernel: +[0-9]+\\.[0-9]+\\.[0-9]+\\S*$").matcher(text.output()).find(),
            text.output());
        assertTrue(Pattern.compile("(?m)^Sandboxes: +[0-9]+ \\(.*running [1-9]").matcher(text.output()).find(),
            text.output());

        JsonNode info = JSON.readTree(ok(server.msb("info", "--json")).output());
        JsonNode qemu = null; // by name: the distribution also lists libkrun, in service order
        for (JsonNode b : info.path("backends")) {
            qemu = b.path("name").asText().equals("qemu") ? b : qemu;
        }
        assertNotNull(qemu, info.toString());
        assertEquals("qemu", qemu.path("name").asText());
        assertEquals(255, qemu.path("max_cpus").asInt());
        assertTrue(qemu.path("features").toString().contains("NETWORK"), info.toString());
        assertTrue(info.path("images").isInt() && !info.path("home").asText().isEmpty(), info.toString());
        HostCommand.Result fields = ok(server.msb("info", "--format", "{{.Backend}} {{.Acceleration}}"));
        assertTrue(fields.output().matches("qemu (kvm|tcg)\n"), fields.output());
    }

    @Test
    void aStoppedSandboxHasNoMetricsNorProcesses() throws Exception {
        String name = "observe-stopped";
        ok(server.msb("create", "--name", name, "--no-net", "builtin:busybox"));
        ok(server.msb("stop", name));
        HostCommand.Result stats = server.msb("stats", "--no-stream", name);
        assertEquals(125, stats.exit(), stats.output());
        assertEquals("msb: cannot read the metrics of sandbox " + name + ": it is stopped\n", stats.output());
        HostCommand.Result top = server.msb("top", name);
        assertEquals("msb: cannot list the processes of sandbox " + name + ": it is stopped\n", top.output());
        ok(server.msb("rm", name));
    }

    /**
     * {@code GET /metrics} (decisions 1870-1873): 401 without a key; with the server's key the Prometheus text shows
     * the running count, the create and exec histograms moving, and the guest figures of a running sandbox.
     */
    @Test
    void prometheusMetricsFollowCreatesAndExecs() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> anonymous = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(server.url + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));

        java.util.Map<String, Double> before = scrape();
        String name = "observe-metrics";
        ok(server.msb("create", "--name", name, "--no-net", "builtin:busybox"));
        java.util.Map<String, Double> created = scrape();
        assertEquals(before.get("msb_sandboxes{status=\"running\"}") + 1, created.get("msb_sandboxes{status=\"running\"}"));
        assertEquals(0.0, created.get("msb_sandboxes{status=\"crashed\"}"), "every status is listed, 0 included");
        assertEquals(sum(before, "msb_sandbox_create_ready_seconds_count") + 1,
            sum(created, "msb_sandbox_create_ready_seconds_count"));
        ok(server.msb("exec", name, "--", "true"));
        java.util.Map<String, Double> executed = scrape();
        assertEquals(sum(created, "msb_exec_duration_seconds_count") + 1, sum(executed, "msb_exec_duration_seconds_count"));
        String box = "{sandbox=\"" + name + "\"}";
        assertTrue(executed.get("msb_sandbox_cpu_seconds_total" + box) > 0, executed.toString());
        assertTrue(executed.get("msb_sandbox_memory_used_bytes" + box) > 0, executed.toString());
        assertTrue(executed.get("msb_sandbox_memory_limit_bytes" + box) > executed.get("msb_sandbox_memory_used_bytes" + box));
        assertTrue(executed.get("msb_sandbox_resident_memory_bytes" + box) > 0, executed.toString());
        assertTrue(executed.containsKey("msb_sandbox_disk_read_bytes_total" + box), executed.toString());
        assertTrue(executed.containsKey("jvm_memory_used_bytes{area=\"heap\"}"), "the JVM's own figures");
        ok(server.msb("stop", name));
        String stops = "msb_sandbox_stops_total{reason=\"shutdown_requested\"}";
        assertEquals(sum(executed, stops) + 1, sum(scrape(), stops));
        ok(server.msb("rm", name));
    }

    /** {@code /metrics} with the server's API key, parsed: each sample line's name and labels to its value. */
    private static java.util.Map<String, Double> scrape() throws Exception {
        java.net.http.HttpResponse<String> r = server.api("GET", "/metrics", null);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
            r.headers().toString());
        java.util.Map<String, Double> samples = new java.util.HashMap<>();
        r.body().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(l -> samples.put(
            l.substring(0, l.lastIndexOf(' ')), Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))));
        return samples;
    }

    /** A family's samples added up over their labels (0 when it has none yet). */
    private static double sum(java.util.Map<String, Double> samples, String name) {
        return samples.entrySet().stream().filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
            .mapToDouble(java.util.Map.Entry::getValue).sum();
    }

    /**
     * {@code bench/cli/observe.sh} still runs (one round: the suite checks the script, the figures come from running it
     * on its own, see bench/cli/README.md); printed, never asserted.
     */
    @Test
    void benchRuns() throws Exception {
        HostCommand.Result r = HostCommand.run(java.nio.file.Path.of("."), List.of("sh", BENCH.toString(),
            server.bin("msb").toString(), BOX, "1"), server.cliEnv());
        System.out.println(r.output());
        assertTrue(r.output().contains("msb stats --no-stream"), r.output());
    }

    private static HostCommand.Result ok(HostCommand.Result r) {
        assertEquals(0, r.exit(), r.output());
        return r;
    }
}
