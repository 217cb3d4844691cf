package io.msb.shell.internal;

import io.msb.api.GuestProcess;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code msb:stats}, {@code msb:top} and {@code msb:info}: the runtime's metrics, guest processes and platform (its
 * warm pools too, decision 1260).
 */
@Component(service = ObserveCommands.class, property = {
    "osgi.command.scope=msb",
    "osgi.command.function=stats",
    "osgi.command.function=top",
    "osgi.command.function=info"})
public final class ObserveCommands {
    private final SandboxService sandboxes;

    @Activate
    public ObserveCommands(@Reference SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Descriptor("shows CPU time, VM memory, guest memory and network traffic of running sandboxes (all without names)")
    public void stats(@Descriptor("sandbox names") String... names) {
        List<String> which = names.length > 0 ? List.of(names) : sandboxes.list(null).stream()
                .filter(s -> s.status() == SandboxStatus.RUNNING).map(s -> s.name()).toList();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("NAME", "CPU TIME", "VM RSS", "GUEST USED / TOTAL", "NET RX / TX"));
        for (String name : which) {
            SandboxMetrics m = sandboxes.handle(name).metrics();
            rows.add(List.of(name, String.format(Locale.ROOT, "%.2fs", m.cpuTime().toMillis() / 1000.0),
                    Bytes.human(m.rssBytes()), m.guestMemory() == null ? "-"
                            : Bytes.human(m.guestMemory().usedBytes()) + " / " + Bytes.human(m.guestMemory().totalBytes()),
                    m.network() == null ? "-"
                            : Bytes.human(m.network().rxBytes()) + " / " + Bytes.human(m.network().txBytes())));
        }
        System.out.println(Columns.render(rows));
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
