package io.msb.metrics.internal;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What is read at scrape time (decision 1873): sandboxes by status, and the guest figures of running sandboxes, at
 * most {@code maxSandboxes} of them (by name) and for at most {@code budget}; the rest are counted as skipped.
 */
final class SandboxCollector implements MultiCollector {
    private static final System.Logger LOG = System.getLogger(SandboxCollector.class.getName());
    private final Supplier<SandboxService> sandboxes;
    private final int maxSandboxes;
    private final Duration budget;

    SandboxCollector(Supplier<SandboxService> sandboxes, int maxSandboxes, Duration budget) {
        this.sandboxes = sandboxes;
        this.maxSandboxes = maxSandboxes;
        this.budget = budget;
    }

    @Override
    public MetricSnapshots collect() {
        SandboxService service = sandboxes.get();
        if (service == null) {
            return new MetricSnapshots(); // no runtime: nothing to say, rather than zeros that look real
        }
        long deadline = System.nanoTime() + budget.toNanos();
        List<SandboxInfo> all = service.list(LabelSelector.ALL);
        Map<SandboxStatus, Integer> byStatus = new EnumMap<>(SandboxStatus.class);
        for (SandboxStatus s : SandboxStatus.values()) {
            byStatus.put(s, 0);
        }
        Guest guest = new Guest();
        int skipped = 0;
        for (SandboxInfo info : all) {
            byStatus.merge(info.status(), 1, Integer::sum);
            if (info.status() != SandboxStatus.RUNNING || !info.backendAvailable()) {
                continue;
            }
            if (guest.count == maxSandboxes || System.nanoTime() - deadline > 0) {
                skipped++;
                continue;
            }
            try {
                guest.add(info, service.handle(info.name()).metrics());
            } catch (RuntimeException e) {
                // stopped since the list, or its agent is busy: this scrape goes without it
                LOG.log(System.Logger.Level.DEBUG, "no metrics for sandbox " + info.name() + ": " + e.getMessage());
                skipped++;
            }
        }
        GaugeSnapshot.Builder status = GaugeSnapshot.builder().name("msb_sandboxes")
                .help("Sandboxes by status (every status, 0 included)");
        byStatus.forEach((s, n) -> status.dataPoint(GaugeDataPointSnapshot.builder()
                .labels(Labels.of("status", s.name().toLowerCase(Locale.ROOT))).value(n).build()));
        List<MetricSnapshot> out = new ArrayList<>(guest.snapshots());
        out.add(status.build());
        out.add(gauge("msb_metrics_sandboxes_skipped", "Running sandboxes whose guest figures this scrape did not read "
                + "(over the cap or the time budget, or not answering)", null).dataPoint(
                        GaugeDataPointSnapshot.builder().value(skipped).build()).build());
        return new MetricSnapshots(out);
    }

    private static GaugeSnapshot.Builder gauge(String name, String help, Unit unit) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        return unit == null ? b : b.unit(unit);
    }

    /** The per-sandbox families, one data point per sandbox read, labelled {@code sandbox}. */
    private static final class Guest {
        int count;
        final CounterSnapshot.Builder cpu = CounterSnapshot.builder().name("msb_sandbox_cpu_seconds")
                .help("CPU time of the sandbox's VM process (user + system); rate() of it is CPU use in cores")
                .unit(Unit.SECONDS);
        final GaugeSnapshot.Builder rss = gauge("msb_sandbox_resident_memory_bytes",
                "Resident memory of the VM process as the host sees it", Unit.BYTES);
        final GaugeSnapshot.Builder used = gauge("msb_sandbox_memory_used_bytes",
                "Memory in use inside the guest (its total less what is available)", Unit.BYTES);
        final GaugeSnapshot.Builder limit = gauge("msb_sandbox_memory_limit_bytes",
                "Memory the sandbox was given (its configured guest memory)", Unit.BYTES);
        final CounterSnapshot.Builder diskRead = CounterSnapshot.builder().name("msb_sandbox_disk_read_bytes")
                .help("Bytes the guest read from its disks (its block devices' counters)").unit(Unit.BYTES);
        final CounterSnapshot.Builder diskWrite = CounterSnapshot.builder().name("msb_sandbox_disk_written_bytes")
                .help("Bytes the guest wrote to its disks (its block devices' counters)").unit(Unit.BYTES);
        final CounterSnapshot.Builder rx = CounterSnapshot.builder().name("msb_sandbox_network_receive_bytes")
                .help("Bytes that arrived in the guest over its network").unit(Unit.BYTES);
        final CounterSnapshot.Builder tx = CounterSnapshot.builder().name("msb_sandbox_network_transmit_bytes")
                .help("Bytes the guest sent over its network").unit(Unit.BYTES);
        boolean anyDisk;
        boolean anyMemory;
        boolean anyLimit;
        boolean anyNetwork;

        void add(SandboxInfo info, SandboxMetrics m) {
            count++;
            Labels labels = Labels.of("sandbox", info.name());
            cpu.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(m.cpuTime().toNanos() / 1e9).build());
            rss.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(m.rssBytes()).build());
            if (m.guestMemory() != null) {
                anyMemory = true;
                used.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(m.guestMemory().usedBytes()).build());
            }
            if (m.memoryLimitBytes() > 0) {
                anyLimit = true;
                limit.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(m.memoryLimitBytes()).build());
            }
            if (m.network() != null) {
                anyNetwork = true;
                rx.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(m.network().rxBytes()).build());
                tx.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(m.network().txBytes()).build());
            }
            if (m.disk() != null) {
                anyDisk = true;
                diskRead.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(m.disk().readBytes())
                        .build());
                diskWrite.dataPoint(CounterDataPointSnapshot.builder().labels(labels).value(m.disk().writeBytes())
                        .build());
            }
        }

        /** A family with no data point is left out: the text format would show only its HELP. */
        List<MetricSnapshot> snapshots() {
            List<MetricSnapshot> out = new ArrayList<>();
            if (count > 0) {
                out.add(cpu.build());
                out.add(rss.build());
            }
            if (anyMemory) {
                out.add(used.build());
            }
            if (anyLimit) {
                out.add(limit.build());
            }
            if (anyDisk) {
                out.add(diskRead.build());
                out.add(diskWrite.build());
            }
            if (anyNetwork) {
                out.add(rx.build());
                out.add(tx.build());
            }
            return out;
        }
    }
}
