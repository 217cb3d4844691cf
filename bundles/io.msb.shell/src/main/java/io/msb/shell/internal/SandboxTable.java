package io.msb.shell.internal;

import io.msb.api.RootfsSource;
import io.msb.api.SandboxInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The {@code msb:ls} table, docker-ps style: fixed columns sized to their content. */
final class SandboxTable {
    private static final List<String> HEADER = List.of("NAME", "STATUS", "IMAGE", "BACKEND", "CPUS", "MEMORY", "UPTIME",
            "PID");

    private SandboxTable() {
    }

    static String render(List<SandboxInfo> sandboxes) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        Instant now = Instant.now();
        for (SandboxInfo s : sandboxes) {
            var run = s.currentRun().filter(r -> r.running());
            rows.add(List.of(s.name(), status(s), rootfs(s.spec().rootfs()), backend(s), Integer.toString(s.spec().cpus()),
                    s.spec().memoryMib() + " MiB",
                    run.map(r -> human(Duration.between(r.startedAt(), now))).orElse("-"),
                    run.map(r -> Long.toString(r.pid())).orElse("-")));
        }
        return Columns.render(rows);
    }

    /** The status, marked while the sandbox's backend is away (its status is then the last one known). */
    static String status(SandboxInfo s) {
        return s.backendAvailable() ? s.status().name() : s.status().name() + " (backend unavailable)";
    }

    /** The backend recorded for the sandbox; {@code -} for a record from before backends were recorded. */
    static String backend(SandboxInfo s) {
        return s.spec().backend() == null ? "-" : s.spec().backend();
    }

    static String rootfs(RootfsSource source) {
        if (source instanceof RootfsSource.OciImage image) {
            return image.reference().text();
        } else if (source instanceof RootfsSource.HostDirectory dir) {
            return "dir:" + dir.path();
        } else if (source instanceof RootfsSource.DiskImage disk) {
            return "disk:" + disk.path();
        }
        return "?";
    }

    static String human(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        } else if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        } else if (s < 86400) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        return s / 86400 + "d" + s % 86400 / 3600 + "h";
    }
}
