package io.msb.shell.internal;

import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.PublishedPort;
import java.util.Map;
import java.util.TreeMap;

/** The {@code msb:inspect} text: one {@code key: value} line per fact, maps sorted for stable output. */
final class SandboxDetails {
    private SandboxDetails() {
    }

    static String render(SandboxInfo info) {
        SandboxSpec spec = info.spec();
        StringBuilder out = new StringBuilder();
        line(out, "name", info.name());
        line(out, "status", SandboxTable.status(info));
        line(out, "backend", SandboxTable.backend(info));
        line(out, "rootfs", SandboxTable.rootfs(spec.rootfs()));
        line(out, "cpus", spec.cpus());
        line(out, "memoryMib", spec.memoryMib());
        line(out, "hostname", spec.hostname());
        line(out, "workdir", spec.workdir());
        line(out, "user", spec.user());
        line(out, "labels", new TreeMap<>(spec.labels()));
        line(out, "env", new TreeMap<>(spec.env()));
        line(out, "detached", spec.detached());
        line(out, "ephemeral", spec.ephemeral());
        out.append(network(info)).append(System.lineSeparator());
        line(out, "idleTimeout", spec.idleTimeout());
        line(out, "maxDuration", spec.maxDuration());
        line(out, "createdAt", info.createdAt());
        line(out, "updatedAt", info.updatedAt());
        info.currentRun().ifPresent(run -> run(out, run));
        return out.toString().stripTrailing();
    }

    /** The network lines: whether it is on, the policy in force, published ports, and the addresses while it runs. */
    static String network(SandboxInfo info) {
        NetworkConfig n = info.spec().network();
        StringBuilder out = new StringBuilder();
        line(out, "network.enabled", n != null && n.enabled());
        if (n != null && n.enabled()) {
            line(out, "network.policy", n.effectivePolicy().toMap());
            if (!n.ports().isEmpty()) {
                line(out, "network.ports", n.ports().stream().map(PublishedPort::toMap).toList());
            }
            if (!n.dns().nameservers().isEmpty()) {
                line(out, "network.dns", n.dns().nameservers());
            }
            line(out, "network.maxConnections", n.maxConnections());
        }
        info.addresses().ifPresent(a -> {
            line(out, "network.ipv4", a.ipv4());
            line(out, "network.gateway", a.gateway());
            if (a.ipv6() != null) {
                line(out, "network.ipv6", a.ipv6());
                line(out, "network.gateway6", a.gateway6());
            }
            line(out, "network.mac", a.mac());
            line(out, "network.nameservers", a.nameservers());
        });
        return out.toString().stripTrailing();
    }

    private static void run(StringBuilder out, RunInfo run) {
        line(out, "run.id", run.id());
        line(out, "run.pid", run.pid());
        line(out, "run.startedAt", run.startedAt());
        line(out, "run.terminatedAt", run.terminatedAt());
        line(out, "run.reason", run.reason());
        line(out, "run.exitCode", run.exitCode());
        line(out, "run.signal", run.signal());
    }

    private static void line(StringBuilder out, String key, Object value) {
        if (value == null || (value instanceof Map<?, ?> map && map.isEmpty())) {
            return;
        }
        out.append(key).append(": ").append(value).append(System.lineSeparator());
    }
}
