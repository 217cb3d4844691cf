package io.msb.http.internal;

import io.msb.api.GuestProcess;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxStatus;
import java.util.Map;
import java.util.TreeMap;

/** What the metrics, processes and info routes answer, mapped from the platform's records (decisions 1033-1035). */
final class Observations {
    private Observations() {
    }

    static Wire.Metrics metrics(SandboxInfo info, SandboxMetrics m) {
        SandboxMetrics.GuestMemory g = m.guestMemory();
        SandboxMetrics.Network n = m.network();
        SandboxMetrics.Disk d = m.disk();
        return new Wire.Metrics(info.id().toString(), info.name(), m.pid(), m.cpuTime().toMillis(), m.rssBytes(),
                m.sampledAt().toString(),
                g == null ? null : new Wire.GuestMemory(g.totalBytes(), g.availableBytes(), g.usedBytes()),
                n == null ? null : new Wire.NetworkTraffic(n.rxBytes(), n.txBytes(), n.rxPackets(), n.txPackets()),
                m.sampledAt().toString(), m.cpuPercent(), m.cpuTime().toNanos(), g == null ? null : g.usedBytes(),
                g == null ? null : g.availableBytes(), m.rssBytes(), m.memoryLimitBytes(),
                d == null ? null : d.readBytes(), d == null ? null : d.writeBytes(), n == null ? 0 : n.rxBytes(),
                n == null ? 0 : n.txBytes(), m.uptime() == null ? null : m.uptime().toMillis() / 1000.0);
    }

    static Wire.Process process(GuestProcess p) {
        return new Wire.Process(p.pid(), p.ppid(), p.user(), p.state(), p.cpuTime().toMillis(), p.elapsed().toMillis(),
                p.rssBytes(), p.command());
    }

    /** @param images how many images the image service holds, or null without one */
    static Wire.Info info(String version, int protocol, PlatformInfo platform, Integer images) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Map.Entry<SandboxStatus, Integer> e : platform.sandboxes().entrySet()) {
            counts.merge(Mapping.status(e.getKey()), e.getValue(), Integer::sum); // the API's names, as the lists
        }
        return new Wire.Info(version, protocol, platform.home().toString(), platform.defaultBackend(),
                platform.backends().stream().map(b -> new Wire.Backend(b.name(), b.available(), b.selected(),
                        b.acceleration(), b.guestKernel(), b.minCpus(), b.maxCpus(), b.minMemoryMib(),
                        b.maxMemoryMib(), b.features().stream().sorted().toList())).toList(),
                counts, images, platform.pools().stream().map(p -> new Wire.Pool(p.image(), p.cpus(), p.memoryMib(),
                        p.network(), p.size(), p.ready(), p.taken(), p.missed(), p.lastError())).toList());
    }
}
