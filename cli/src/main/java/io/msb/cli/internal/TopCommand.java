package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code msb top NAME}: the guest's processes, read by the server from the guest's {@code /proc} through the agent
 * (decision 1034), so images without {@code ps} (busybox-less, distroless) work too.
 */
@Command(name = "top", mixinStandardHelpOptions = true, description = "List the processes running in a sandbox.",
    footer = {"", "%%CPU is the CPU time over the time since the process started (ps's figure).",
        "--format fields: .PID .User .CPUPerc .Time .RSS .State .Command .PPID .Elapsed"})
final class TopCommand implements Callable<Integer> {
    /** A process of the API's list plus its {@code cpu_percent}. */
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("PID", "PID", p -> p.path("pid").asText())
        .column("User", "USER", p -> p.path("user").asText())
        .column("CPUPerc", "%CPU", p -> String.format(Locale.ROOT, "%.1f", p.path("cpu_percent").asDouble()))
        .column("Time", "TIME", p -> clock(p.path("cpu_time_ms").asLong()))
        .column("RSS", "RSS", p -> Sizes.bytes(p.path("rss_bytes").asLong()))
        .column("State", "STAT", p -> p.path("state").asText())
        .column("Command", "COMMAND", p -> p.path("command").asText())
        .extra("PPID", "PPID", p -> p.path("ppid").asText())
        .extra("Elapsed", "ELAPSED", p -> clock(p.path("elapsed_ms").asLong()))
        .key("PID");

    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = {"-q", "--quiet"}, description = "Print only the PIDs.")
    boolean quiet;

    @Parameters(paramLabel = "NAME", description = "Sandbox name.")
    String name;

    TopCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        print(cli, output, name, quiet);
        return 0;
    }

    static void print(Cli cli, OutputOptions output, String name, boolean quiet) {
        output.validate(FIELDS, quiet);
        JsonNode data = cli.api().get(Cli.byName(name) + "/processes").path("data");
        if (!data.isArray()) {
            throw new CliException("the server's process list has no data array");
        }
        List<JsonNode> rows = new ArrayList<>();
        for (JsonNode p : data) {
            if (!p.isObject()) {
                throw new CliException("the server's process list has an entry that is not an object");
            }
            ObjectNode row = ((ObjectNode) p).deepCopy();
            row.put("cpu_percent", percent(p.path("cpu_time_ms").asLong(), p.path("elapsed_ms").asLong()));
            rows.add(row);
        }
        cli.out.print(output.list(cli, FIELDS, rows, r -> r, quiet));
    }

    /** CPU time over elapsed time, in percent (one busy core is 100); 0 for a process younger than a tick. */
    static double percent(long cpuMillis, long elapsedMillis) {
        if (elapsedMillis <= 0 || cpuMillis < 0) {
            return 0;
        }
        return Math.round(cpuMillis * 1000.0 / elapsedMillis) / 10.0;
    }

    /** {@code M:SS} or {@code H:MM:SS}, as ps prints TIME. */
    static String clock(long millis) {
        long s = Math.max(0, millis) / 1000;
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
