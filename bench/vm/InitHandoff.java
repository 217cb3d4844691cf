import io.msb.api.HandoffInit;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.e2e.Platform;
import io.msb.testing.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Init handoff figures (decision 0431; see README.md): the same Debian image with systemd (the e2e test's
 * debian-systemd-oci layout, pushed to a local docker-registry), booted alternately without and with {@code init auto}.
 * Per boot: create → ready (agentd's core.ready, create returned), with the handoff also create → systemd finished
 * booting (systemctl is-system-running --wait answers running or degraded), and stop → VM gone.
 * Usage: java -cp <e2e test class path> InitHandoff.java <oci-layout> [rounds=3]
 */
public class InitHandoff {
    static final String RUNNING = "for i in $(seq 600); do s=$(systemctl is-system-running --wait 2>/dev/null);"
            + " case $s in offline|'') sleep 0.5;; *) break;; esac; done; echo \"$s\"";

    public static void main(String[] args) throws Exception {
        Path layout = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
        Path dir = Files.createTempDirectory("msb-bench-init");
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"));
                LocalRegistry registry = LocalRegistry.start(dir)) {
            String ref = registry.host() + "/bench/debian-systemd:bookworm";
            Process copy = new ProcessBuilder("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + layout + ":bookworm", "docker://" + ref).inheritIO().start();
            if (copy.waitFor() != 0) {
                throw new IllegalStateException("skopeo copy failed");
            }
            SandboxService rt = p.runtime();
            rt.remove(boot(rt, ref, "warm", null), true); // pulls and builds the root once, not counted
            List<Double> plainReady = new ArrayList<>(), plainStop = new ArrayList<>();
            List<Double> ready = new ArrayList<>(), running = new ArrayList<>(), stop = new ArrayList<>();
            for (int i = 0; i < rounds; i++) { // interleaved, so both see the same host load
                rt.remove(boot(rt, ref, "plain-" + i, null, plainReady, null, plainStop), true);
                rt.remove(boot(rt, ref, "init-" + i, HandoffInit.auto(), ready, running, stop), true);
            }
            System.out.printf("medians of %d: without init: ready %.0f ms, stop %.0f ms; init auto (systemd): ready"
                    + " %.0f ms, systemd running %.0f ms, stop %.0f ms%n", rounds, median(plainReady),
                    median(plainStop), median(ready), median(running), median(stop));
        }
    }

    /** One boot; its times go to the lists given (null: not measured). */
    @SafeVarargs
    static String boot(SandboxService rt, String ref, String name, HandoffInit init, List<Double>... times)
            throws Exception {
        long t0 = System.nanoTime();
        SandboxHandle box = rt.create(SandboxSpec.builder(name).image(ref).memoryMib(512).init(init).replace(true).build());
        long t1 = System.nanoTime();
        String state = "-";
        long t2 = t1;
        if (init != null) {
            state = box.exec(ExecOptions.of("sh", "-c", RUNNING).timeout(Duration.ofMinutes(5)).build()).stdoutText().strip();
            t2 = System.nanoTime();
            System.out.println(box.exec(ExecOptions.of("sh", "-c", "systemd-analyze; systemd-analyze critical-chain --no-pager | head -12;"
                    + " journalctl -b --no-pager | grep -iE 'timed out|dependency failed|failed to start' | head -10")
                    .build()).stdoutText().strip());
        }
        long t3 = System.nanoTime();
        box.stop(Duration.ofMinutes(2));
        long t4 = System.nanoTime();
        if (times.length == 3) {
            times[0].add(ms(t1 - t0));
            if (times[1] != null) {
                times[1].add(ms(t2 - t0));
            }
            times[2].add(ms(t4 - t3));
        }
        System.out.printf("%-8s ready %6.0f ms, systemd %-8s %6.0f ms, stop %6.0f ms%n", name, ms(t1 - t0), state,
                ms(t2 - t0), ms(t4 - t3));
        return name;
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** The middle value (the upper one of an even count). */
    static double median(List<Double> v) {
        return v.stream().sorted().skip(v.size() / 2).findFirst().orElse(Double.NaN);
    }
}
