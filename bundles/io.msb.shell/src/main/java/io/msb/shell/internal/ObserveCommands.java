package io.msb.shell.internal;

import io.msb.api.GuestProcess;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code msb:stats}, {@code msb:metrics}, {@code msb:top} and {@code msb:info}: the runtime's metrics, guest
 * processes and platform (its warm pools too, decision 1260).
 */
@Component(service = ObserveCommands.class, property = {
    "osgi.command.scope=msb",
    "osgi.command.function=stats",
    "osgi.command.function=metrics",
    "osgi.command.function=top",
    "osgi.command.function=info"})
public final class ObserveCommands {
    private final SandboxService sandboxes;

    @Activate
    public ObserveCommands(@Reference SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Descriptor("shows CPU, VM memory, guest memory and its limit, disk I/O and network traffic of running sandboxes"
            + " (all without names)")
    public void stats(@Descriptor("sandbox names") String... names) {
        List<String> which = names.length > 0 ? List.of(names) : sandboxes.list(null).stream()
                .filter(s -> s.status() == SandboxStatus.RUNNING).map(s -> s.name()).toList();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "CPU %", "CPU TIME", "VM RSS", "GUEST USED / TOTAL", "MEM LIMIT", "DISK READ / WRITTEN",
                "NET RX / TX"));
        for (String name : which) {
            rows.add(row(name, sandboxes.handle(name).metrics()));
        }
        System.out.println(Columns.render(rows));
    }

    @Descriptor("shows every figure of one running sandbox's metrics, one per line (microsandbox's msb metrics)")
    public void metrics(@Descriptor("sandbox name") String name) {
        System.out.println(describe(sandboxes.handle(name).metrics()));
    }

    static List<String> row(String name, SandboxMetrics m) {
        return List.of(name, percent(m.cpuPercent()), seconds(m.cpuTime()), Bytes.human(m.rssBytes()),
                m.guestMemory() == null ? "-"
                        : Bytes.human(m.guestMemory().usedBytes()) + " / " + Bytes.human(m.guestMemory().totalBytes()),
                limit(m), m.disk() == null ? "-"
                        : Bytes.human(m.disk().readBytes()) + " / " + Bytes.human(m.disk().writeBytes()),
                m.network() == null ? "-"
                        : Bytes.human(m.network().rxBytes()) + " / " + Bytes.human(m.network().txBytes()));
    }

    /** Key: value lines, the figures of {@code msb:stats} and the ones its table has no room for. */
    static String describe(SandboxMetrics m) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("PID", Long.toString(m.pid()));
        f.put("Sampled at", m.sampledAt().toString());
        f.put("Uptime", m.uptime() == null ? "-" : seconds(m.uptime()));
        f.put("CPU", percent(m.cpuPercent()));
        f.put("CPU time", seconds(m.cpuTime()));
        f.put("VM RSS", Bytes.human(m.rssBytes()));
        f.put("Memory limit", limit(m));
        f.put("Guest memory used", m.guestMemory() == null ? "-" : Bytes.human(m.guestMemory().usedBytes()));
        f.put("Guest memory available",
                m.guestMemory() == null ? "-" : Bytes.human(m.guestMemory().availableBytes()));
        f.put("Disk read", m.disk() == null ? "-" : Bytes.human(m.disk().readBytes()));
        f.put("Disk written", m.disk() == null ? "-" : Bytes.human(m.disk().writeBytes()));
        f.put("Net received", m.network() == null ? "-"
                : Bytes.human(m.network().rxBytes()) + " (" + m.network().rxPackets() + " packets)");
        f.put("Net sent", m.network() == null ? "-"
                : Bytes.human(m.network().txBytes()) + " (" + m.network().txPackets() + " packets)");
        StringBuilder sb = new StringBuilder();
        f.forEach((k, v) -> sb.append(k).append(": ").append(v).append(System.lineSeparator()));
        return sb.toString().stripTrailing();
    }

    private static String percent(Double p) {
        return p == null ? "-" : String.format(Locale.ROOT, "%.2f%%", p);
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.2fs", d.toMillis() / 1000.0);
    }

    private static String limit(SandboxMetrics m) {
        return m.memoryLimitBytes() == 0 ? "-" : Bytes.human(m.memoryLimitBytes());
    }

    @Descriptor("lists the processes running in a sandbox (read from the guest's /proc)")
    public void top(@Descriptor("sandbox name") String name) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("PID", "PPID", "USER", "STAT", "TIME", "RSS", "COMMAND"));
        for (GuestProcess p : sandboxes.handle(name).processes()) {
            long s = p.cpuTime().toSeconds();
            rows.add(List.of(Integer.toString(p.pid()), Integer.toString(p.ppid()), p.user(), p.state(),
                    String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60), Bytes.human(p.rssBytes()), p.command()));
        }
        System.out.println(Columns.render(rows));
    }

    @Descriptor("shows the VMM backends (acceleration, guest kernel, limits), sandboxes by status, the home and the"
            + " warm pools")
    public void info() {
        PlatformInfo info = sandboxes.platform();
        StringBuilder sb = new StringBuilder();
        sb.append("Home: ").append(info.home()).append(System.lineSeparator());
        sb.append("Default backend: ").append(info.defaultBackend()).append(System.lineSeparator());
        for (PlatformInfo.Backend b : info.backends()) {
            sb.append("Backend ").append(b.name()).append(": ").append(b.available() ? "available" : "not available")
                    .append(b.selected() ? ", in use" : "").append("; acceleration ")
                    .append(b.acceleration() == null ? "not known yet" : b.acceleration())
                    .append("; guest kernel ").append(b.guestKernel() == null ? "not known yet" : b.guestKernel())
                    .append("; cpus ").append(b.minCpus()).append('-').append(b.maxCpus())
                    .append("; memory ").append(b.minMemoryMib()).append('-').append(b.maxMemoryMib()).append(" MiB")
                    .append(System.lineSeparator());
        }
        sb.append("Sandboxes:");
        for (Map.Entry<SandboxStatus, Integer> e : new java.util.TreeMap<>(info.sandboxes()).entrySet()) {
            sb.append(' ').append(e.getKey().name().toLowerCase(Locale.ROOT)).append(' ').append(e.getValue());
        }
        sb.append(System.lineSeparator()).append("Warm pools:").append(info.pools().isEmpty() ? " none" : "");
        for (PlatformInfo.Pool p : info.pools()) {
            sb.append(System.lineSeparator()).append("  ").append(p.image()).append(": ").append(p.cpus())
                    .append(p.cpus() == 1 ? " vCPU, " : " vCPUs, ").append(p.memoryMib()).append(" MiB, ")
                    .append(p.network() ? "network" : "no network").append("; ready ").append(p.ready())
                    .append(" of ").append(p.size()).append("; taken ").append(p.taken()).append(", missed ")
                    .append(p.missed());
            if (p.lastError() != null) {
                sb.append("; last error: ").append(p.lastError());
            }
        }
        System.out.println(sb.toString().stripTrailing());
    }
}
