import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecOptions;
import io.msb.e2e.Platform;
import io.msb.protocol.AgentClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exec path of one builtin:busybox sandbox through the whole runtime (see README.md, "Exec path"): the `exec true`
 * round trip (p50/p90/p99 over `runs` after 10 warm-ups) and the exec stream: the wall time of `cat` of a file of
 * `mb` MB on the sandbox's disk (made first with dd, not timed) to the host, bytes counted on the host as they arrive.
 * Usage: stack.sh ExecPath [runs=200] [mb=200] [streams=3]
 */
public class ExecPath {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int mb = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim()
                + ", cpus " + Runtime.getRuntime().availableProcessors());
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            SandboxService rt = p.runtime();
            SandboxHandle box = p.create("exec-path", false);
            System.out.println("QEMU " + Platform.qemuArgs(box.info().currentRun().orElseThrow().pid()));
            List<Double> rtt = new ArrayList<>();
            for (int i = 0; i < runs + 10; i++) {
                long t0 = System.nanoTime();
                if (!box.exec(ExecOptions.of("true").build()).exit().success()) {
                    throw new IllegalStateException("exec true failed");
                }
                if (i >= 10) {
                    rtt.add(ms(System.nanoTime() - t0));
                }
            }
            report("exec true round trip", rtt);
            // the same path without a process: a second relay client's core.ping (host → relay → QEMU → agentd → back)
            Path sock;
            try (var files = Files.walk(p.home)) {
                sock = files.filter(f -> f.getFileName().toString().equals("agent.sock")).findFirst().orElseThrow();
            }
            try (AgentClient c = AgentClient.connectRelay(sock, AgentClient.Options.DEFAULTS)) {
                List<Double> ping = new ArrayList<>();
                for (int i = 0; i < runs + 10; i++) {
                    Duration d = c.ping();
                    if (i >= 10) {
                        ping.add(d.toNanos() / 1e6);
                    }
                }
                report("core.ping round trip", ping);
            }

            String file = "/root/stream.bin";
            if (!box.exec(ExecOptions.of("dd", "if=/dev/zero", "of=" + file, "bs=1000000", "count=" + mb).build())
                    .exit().success()) {
                throw new IllegalStateException("dd failed");
            }
            long expected = mb * 1_000_000L;
            // the guest alone, for comparison: reading the file, and the same through a pipe as agentd reads it
            for (String script : List.of("cat " + file + " >/dev/null", "cat " + file + " | cat >/dev/null")) {
                long t0 = System.nanoTime();
                if (!box.exec(ExecOptions.of("/bin/sh", "-c", script).build()).exit().success()) {
                    throw new IllegalStateException(script + " failed");
                }
                System.out.printf("guest only, %s: %.1f MB/s%n", script,
                        expected / 1e6 / ((System.nanoTime() - t0) / 1e9));
            }
            List<Double> rates = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                AtomicLong bytes = new AtomicLong();
                long t0 = System.nanoTime();
                ExecExit exit = box.execStream(ExecOptions.of("cat", file).build(), e -> {
                    if (e instanceof ExecEvent.Stdout out) {
                        bytes.addAndGet(out.data().length);
                    }
                }).waitFor(Duration.ofMinutes(10));
                double s = (System.nanoTime() - t0) / 1e9;
                if (!exit.success() || bytes.get() != expected) {
                    throw new IllegalStateException("cat: " + exit + ", " + bytes.get() + " of " + expected + " bytes");
                }
                rates.add(expected / 1e6 / s);
                System.out.printf("stream %d: %d MB in %.2f s = %.1f MB/s%n", i, mb, s, rates.get(i));
            }
            Collections.sort(rates);
            System.out.printf("exec stream: median %.1f MB/s (%d × %d MB)%n", rates.get(rates.size() / 2), streams, mb);
            rt.remove(box.name(), true);
            System.out.println("load at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
        }
    }

    private static void report(String what, List<Double> ms) {
        Collections.sort(ms);
        System.out.printf("%s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, min %.2f ms (%d runs)%n", what, pct(ms, 50),
                pct(ms, 90), pct(ms, 99), ms.get(0), ms.size());
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, sorted.size() * p / 100));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
