package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb stats}: CPU, memory, network and disk I/O of running sandboxes, from {@code GET …/metrics} (decisions
 * 1033, 1877). CPU % is computed here from two samples: the VM's CPU time gained over the wall time between them (100%
 * is one busy core, as in docker). On a terminal the table is redrawn every second until Ctrl-C; with {@code --no-stream}, or
 * when stdout is not a terminal, one snapshot is printed (after two samples a second apart).
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "Show live CPU, memory, network and disk use of sandboxes (all running ones without NAME).",
    footer = {"", "CPU %% is the VM's CPU time over the wall time between two samples a second apart (100%% = one core).",
        "MEM USAGE / LIMIT is the guest's own view (used / total); VM RSS is the QEMU process's resident memory.",
        "BLOCK I/O is what the guest read from / wrote to its disks; MEM LIMIT is the memory the sandbox was given.",
        "--format fields: .Name .CPUPerc .MemUsage .MemPerc .RSS .NetIO .BlockIO .MemLimit .ID .PID"})
final class StatsCommand implements Callable<Integer> {
    static final Duration INTERVAL = Duration.ofSeconds(1);
    /** Home, clear screen: the redraw of a streamed table. */
    static final String REDRAW = "\033[H\033[2J";

    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Name", "NAME", r -> r.path("name").asText())
        .column("CPUPerc", "CPU %", r -> r.path("cpu_percent").isNumber()
            ? String.format(Locale.ROOT, "%.2f%%", r.path("cpu_percent").asDouble()) : "--")
        .column("MemUsage", "MEM USAGE / LIMIT", r -> r.path("guest_memory").isObject()
            ? Sizes.bytes(r.path("guest_memory").path("used_bytes").asLong()) + " / "
                + Sizes.bytes(r.path("guest_memory").path("total_bytes").asLong()) : "--")
        .column("MemPerc", "MEM %", r -> memPercent(r.path("guest_memory")))
        .column("RSS", "VM RSS", r -> Sizes.bytes(r.path("rss_bytes").asLong()))
        .column("NetIO", "NET I/O", r -> r.path("network").isObject()
            ? Sizes.bytes(r.path("network").path("rx_bytes").asLong()) + " / "
                + Sizes.bytes(r.path("network").path("tx_bytes").asLong()) : "--")
        .column("BlockIO", "BLOCK I/O", r -> r.path("disk_read_bytes").isNumber()
            ? Sizes.bytes(r.path("disk_read_bytes").asLong()) + " / " + Sizes.bytes(r.path("disk_write_bytes").asLong())
            : "--")
        .column("MemLimit", "MEM LIMIT", r -> r.path("memory_limit_bytes").asLong() > 0
            ? Sizes.bytes(r.path("memory_limit_bytes").asLong()) : "--")
        .extra("ID", "ID", r -> r.path("id").asText())
        .extra("PID", "PID", r -> r.path("pid").asText())
        .key("Name");

    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = "--no-stream", description = "Print one snapshot and exit.")
    boolean noStream;

    @Parameters(paramLabel = "NAME", arity = "0..*", description = "Sandbox names (default: every running sandbox).")
    List<String> names = new ArrayList<>();

    StatsCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() throws Exception {
        output.validate(FIELDS, false);
        boolean stream = !noStream && PullCommand.stdoutIsTerminal();
        Map<String, JsonNode> previous = sample();
        while (true) {
            Thread.sleep(INTERVAL.toMillis());
            Map<String, JsonNode> current = sample();
            List<JsonNode> rows = new ArrayList<>();
            current.forEach((name, now) -> rows.add(row(previous.get(name), now)));
            String text = output.list(cli, FIELDS, rows, r -> r, false);
            if (!stream) {
                cli.out.print(text);
                return 0;
            }
            cli.out.print(REDRAW + text);
            previous.clear();
            previous.putAll(current);
        }
    }

    /** One metrics object per sandbox asked for (or running now), by name. */
    private Map<String, JsonNode> sample() throws Exception {
        Map<String, JsonNode> samples = new LinkedHashMap<>();
        if (!names.isEmpty()) {
            for (String name : names) {
                samples.put(name, cli.api().get(Cli.byName(name) + "/metrics"));
            }
            return samples;
        }
        for (JsonNode s : ListCommand.fetch(cli, List.of())) {
            if (s.path("status").asText().equals("running")) {
                String name = s.path("name").asText();
                try {
                    samples.put(name, cli.api().get(Cli.byName(name) + "/metrics"));
                } catch (CliException e) {
                    // stopped or removed since the listing: it is simply not running any more
                }
            }
        }
        return samples;
    }

    /**
     * The server's metrics object with {@code cpu_percent} over the two samples; without an earlier sample of the same
     * VM, the server's own figure (over its last window, decision 1876), else null.
     */
    static JsonNode row(JsonNode before, JsonNode now) {
        ObjectNode row = ((ObjectNode) now).deepCopy();
        Double percent = before == null ? null : cpuPercent(before, now);
        if (percent != null) {
            row.put("cpu_percent", percent);
        } else if (!now.path("cpu_percent").isNumber()) {
            row.putNull("cpu_percent");
        }
        return row;
    }

    /**
     * CPU time gained over the wall time between two samples, in percent; null when they cannot be compared: another
     * VM process (a restart), time going backwards, or a sample without its figures.
     */
    static Double cpuPercent(JsonNode before, JsonNode now) {
        if (before.path("pid").asLong(-1) != now.path("pid").asLong(-2) || !before.path("cpu_time_ms").isNumber()
            || !now.path("cpu_time_ms").isNumber()) {
            return null;
        }
        try {
            long wallNanos = Duration.between(Instant.parse(before.path("sampled_at").asText()),
                Instant.parse(now.path("sampled_at").asText())).toNanos();
            long cpuMillis = now.path("cpu_time_ms").asLong() - before.path("cpu_time_ms").asLong();
            if (wallNanos <= 0 || cpuMillis < 0) {
                return null;
            }
            return Math.round(cpuMillis * 1e6 / wallNanos * 100 * 100) / 100.0;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static String memPercent(JsonNode guest) {
        long total = guest.path("total_bytes").asLong();
        if (!guest.isObject() || total <= 0) {
            return "--";
        }
        return String.format(Locale.ROOT, "%.2f%%", guest.path("used_bytes").asLong() * 100.0 / total);
    }
}
