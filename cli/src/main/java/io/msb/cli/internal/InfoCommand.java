package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code msb info}: the server, its backends (KVM or TCG, guest kernel, limits), sandboxes and images (decision 1035),
 * and its warm pools (decision 1260).
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Show the server's version, VMM backends (acceleration, guest kernel, limits), sandboxes, images"
        + " and warm pools.",
    footer = {"", "--format fields: .Version .Home .DefaultBackend .Backend .Acceleration .Kernel .MaxCpus "
        + ".MaxMemoryMib .Sandboxes .Running .Images .Pools .PoolsReady .PoolsTaken .PoolsMissed",
        "(.Pools: how many warm pools; .PoolsReady, .PoolsTaken, .PoolsMissed: summed over them)"})
final class InfoCommand implements Callable<Integer> {
    static final Fields<JsonNode> FIELDS = new Fields<JsonNode>()
        .column("Version", "VERSION", i -> i.path("version").asText())
        .column("Home", "HOME", i -> i.path("home").asText())
        .column("DefaultBackend", "DEFAULT BACKEND", i -> i.path("default_backend").asText())
        .column("Backend", "BACKEND", i -> selected(i).path("name").asText(""))
        .column("Acceleration", "ACCELERATION", i -> selected(i).path("acceleration").asText(""))
        .column("Kernel", "KERNEL", i -> selected(i).path("guest_kernel").asText(""))
        .column("MaxCpus", "MAX CPUS", i -> selected(i).path("max_cpus").asText(""))
        .column("MaxMemoryMib", "MAX MEMORY (MiB)", i -> selected(i).path("max_memory_mib").asText(""))
        .column("Sandboxes", "SANDBOXES", i -> String.valueOf(total(i.path("sandboxes"))))
        .column("Running", "RUNNING", i -> String.valueOf(i.path("sandboxes").path("running").asLong()))
        .column("Images", "IMAGES", i -> i.path("images").asText(""))
        .column("Pools", "POOLS", i -> String.valueOf(i.path("pools").size()))
        .column("PoolsReady", "POOLS READY", i -> String.valueOf(sum(i.path("pools"), "ready")))
        .column("PoolsTaken", "POOLS TAKEN", i -> String.valueOf(sum(i.path("pools"), "taken")))
        .column("PoolsMissed", "POOLS MISSED", i -> String.valueOf(sum(i.path("pools"), "missed")))
        .key("Version");

    private final Cli cli;

    @Mixin
    OutputOptions output = new OutputOptions();

    InfoCommand(Cli cli) {
        this.cli = cli;
    }

    @Override
    public Integer call() {
        output.validate(FIELDS, false);
        JsonNode info = cli.api().get("/v1/info");
        cli.out.print(output.given() ? output.one(cli, FIELDS, info, i -> i) : text(info, cli.api().baseUrl()));
        return 0;
    }

    /** For people: one fact a line, the backends and warm pools indented below. */
    static String text(JsonNode info, String url) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"Server:", url + " (version " + info.path("version").asText("?") + ", agent protocol "
            + info.path("protocol").asText("?") + ")"});
        lines.add(new String[] {"Home:", info.path("home").asText("")});
        StringBuilder counts = new StringBuilder();
        info.path("sandboxes").fields().forEachRemaining(e -> counts.append(counts.isEmpty() ? "" : ", ")
            .append(e.getKey()).append(' ').append(e.getValue().asLong()));
        lines.add(new String[] {"Sandboxes:", total(info.path("sandboxes")) + (counts.isEmpty() ? "" : " (" + counts + ")")});
        lines.add(new String[] {"Images:", info.path("images").isNumber() ? info.path("images").asText()
            : "unknown (no image service)"});
        lines.add(new String[] {"Default backend:", info.path("default_backend").asText("")});
        for (JsonNode b : info.path("backends")) {
            lines.add(new String[] {"Backend " + b.path("name").asText() + ":", (b.path("available").asBoolean()
                ? "available" : "not available") + (b.path("selected").asBoolean() ? ", in use" : "")});
            lines.add(new String[] {"  Acceleration:", b.path("acceleration").isTextual()
                ? b.path("acceleration").asText().toUpperCase(java.util.Locale.ROOT) : "not known yet (probed at the first boot)"});
            lines.add(new String[] {"  Guest kernel:", b.path("guest_kernel").isTextual() ? b.path("guest_kernel").asText()
                : "not known yet (located at the first boot)"});
            lines.add(new String[] {"  CPUs:", b.path("min_cpus").asText() + "-" + b.path("max_cpus").asText()});
            lines.add(new String[] {"  Memory:", b.path("min_memory_mib").asText() + "-" + b.path("max_memory_mib").asText()
                + " MiB"});
            List<String> features = new ArrayList<>();
            b.path("features").forEach(f -> features.add(f.asText()));
            lines.add(new String[] {"  Features:", String.join(", ", features)});
        }
        if (info.has("pools")) { // servers before warm pools send none
            JsonNode pools = info.path("pools");
            lines.add(new String[] {"Warm pools:", pools.isEmpty() ? "none" : String.valueOf(pools.size())});
            for (JsonNode p : pools) {
                int cpus = p.path("cpus").asInt();
                lines.add(new String[] {"  Pool:", p.path("image").asText() + " (" + cpus
                    + (cpus == 1 ? " vCPU, " : " vCPUs, ") + p.path("memory_mib").asText() + " MiB, "
                    + (p.path("network").asBoolean() ? "network" : "no network") + ")"});
                lines.add(new String[] {"  Ready:", p.path("ready").asText() + " of " + p.path("size").asText()});
                lines.add(new String[] {"  Served:", p.path("taken").asText() + " taken, "
                    + p.path("missed").asText() + " missed (none ready)"});
                if (p.path("last_error").isTextual()) {
                    lines.add(new String[] {"  Last error:", p.path("last_error").asText()});
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0) + 1;
        for (String[] l : lines) {
            sb.append(Text.cell(String.format("%-" + width + "s%s", l[0], l[1]))).append('\n');
        }
        return sb.toString();
    }

    /** The backend creates use now (else the first listed; a missing node when none). */
    static JsonNode selected(JsonNode info) {
        JsonNode first = info.path("backends").path(0);
        for (JsonNode b : info.path("backends")) {
            if (b.path("selected").asBoolean()) {
                return b;
            }
        }
        return first;
    }

    /** {@code field} summed over {@code rows}. */
    static long sum(JsonNode rows, String field) {
        long n = 0;
        for (JsonNode r : rows) {
            n += r.path(field).asLong();
        }
        return n;
    }

    static long total(JsonNode counts) {
        long n = 0;
        for (JsonNode c : counts) {
            n += c.asLong();
        }
        return n;
    }
}
