import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecOptions;
import io.msb.e2e.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a sandbox's boot time goes: creates builtin:busybox sandboxes and prints the host-side stages of each create
 * (the runtime's DEBUG laps), the median of each guest stage over all boots (the interval from the previous mark of
 * the guest's kernel log: the kernel's "Run /init" and mount lines, agentd's boot marks with its own CPU time), and the last
 * boot's whole kernel log. Given agentd binaries, it boots them in turn (A B A B …, the same host load for each) and
 * prints the medians of each. Usage: java -cp <e2e test class path> BootTrace.java [boots=3] [guestKernel=auto]
 * [agentd binary…]
 */
public class BootTrace {
    /**
     * {@code [    0.374640] agentd: proc and sys mounted (0.362595 cpu 0.004211)}: the log's time, the stage and agentd's
     * CPU time so far.
     */
    private static final Pattern MARK = Pattern.compile(
            "^\\[\\s*(\\d+\\.\\d+)\\] (Run /init.*|erofs: .*mounted.*|EXT4-fs .*mounted.*|agentd: ([^(]+?))"
                    + "(?: \\(\\d+\\.\\d+(?: cpu (\\d+\\.\\d+))?\\))?$");
    private static final String CPU = " [agentd cpu]";

    public static void main(String[] args) throws Exception {
        int boots = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String kernel = args.length > 1 ? args[1] : "auto";
        List<String> agentds = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("");
        // The runtime logs each boot's host-side stages at DEBUG (FINE in java.util.logging); its loggers are named
        // after its classes, below this one.
        Logger stages = Logger.getLogger("io.msb.runtime");
        ConsoleHandler console = new ConsoleHandler();
        console.setLevel(Level.FINE);
        console.setFilter(r -> r.getMessage() != null && r.getMessage().contains("ms in all"));
        stages.setLevel(Level.FINE);
        stages.addHandler(console);
        System.out.println("load at start: " + loadavg());
        List<Map<String, List<Double>>> guest = new ArrayList<>();
        List<List<Double>> ready = new ArrayList<>();
        String dmesg = "";
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            for (int i = -1; i < boots; i++) { // round -1 warms up (builds the image, the initramfs): not counted
                for (int v = 0; v < agentds.size(); v++) {
                    if (i < 0) {
                        guest.add(new LinkedHashMap<>());
                        ready.add(new ArrayList<>());
                    }
                    String[] log = new String[1];
                    double[] ms = new double[1];
                    String name = "trace-" + v + "-" + i;
                    p.withQemu(Map.of("guestKernel", kernel, "agentd", agentds.get(v)), () -> {
                        long t0 = System.nanoTime();
                        SandboxHandle box = p.create(name, false);
                        ms[0] = (System.nanoTime() - t0) / 1e6;
                        log[0] = new String(box.exec(ExecOptions.of("dmesg").build()).stdout(), StandardCharsets.UTF_8);
                        p.runtime().remove(box.name(), true);
                    });
                    if (i >= 0) {
                        System.out.printf("%s: create→ready %.0f ms%n", name, ms[0]);
                        ready.get(v).add(ms[0]);
                        marks(log[0], guest.get(v));
                        dmesg = log[0];
                    }
                }
            }
        }
        System.out.println("--- guest kernel log of the last boot ---");
        System.out.print(dmesg);
        for (int v = 0; v < agentds.size(); v++) {
            Map<String, List<Double>> g = guest.get(v);
            System.out.printf("--- %s, median over %d boots: create→ready %.1f ms; guest stages: ms since the previous"
                    + " mark (min–max); cpu: agentd's own CPU time since its previous mark ---%n", agentds.get(v).isEmpty() ? "agentd"
                    : agentds.get(v), boots, median(ready.get(v)));
            g.forEach((stage, ms) -> {
                List<Double> cpu = g.get(stage + CPU);
                if (!stage.endsWith(CPU)) {
                    System.out.printf("%7.1f  %-28s (%.1f–%.1f)%s%n", median(ms), stage, Collections.min(ms),
                            Collections.max(ms), cpu == null ? "" : String.format("  cpu %.1f", median(cpu)));
                }
            });
        }
        System.out.println("load at end: " + loadavg());
    }

    /** Adds each mark's interval from the previous one (the first: the log's time itself) under its stage. */
    static void marks(String dmesg, Map<String, List<Double>> into) {
        double last = 0;
        double lastCpu = 0;
        for (String line : dmesg.split("\n")) {
            Matcher m = MARK.matcher(line);
            if (m.matches()) {
                double t = Double.parseDouble(m.group(1));
                String stage = m.group(3) != null ? m.group(3).replaceAll(" /dev/\\S+|started at.*", "").trim()
                        : m.group(2).startsWith("Run") ? "kernel: Run /init" : m.group(2).startsWith("erofs")
                        ? "kernel: EROFS lower mounted" : "kernel: ext4 upper mounted";
                if (stage.isEmpty()) {
                    stage = "started";
                }
                into.computeIfAbsent(stage, k -> new ArrayList<>()).add((t - last) * 1000);
                last = t;
                if (m.group(4) != null) {
                    double cpu = Double.parseDouble(m.group(4));
                    into.computeIfAbsent(stage + CPU, k -> new ArrayList<>()).add((cpu - lastCpu) * 1000);
                    lastCpu = cpu;
                }
            }
        }
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    static String loadavg() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
