import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecOptions;
import io.msb.e2e.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where a sandbox's boot time goes: creates builtin:busybox sandboxes and prints, for the last one, the guest's
 * kernel log with its timestamps (module loads, disk probes, agentd's stage markers) next to the host-side create
 * time. Usage: java -cp <e2e test class path> BootTrace.java [boots=3]
 */
public class BootTrace {
    public static void main(String[] args) throws Exception {
        int boots = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        // The runtime logs each boot's host-side stages at DEBUG (FINE in java.util.logging); its loggers are named
        // after its classes, below this one.
        Logger stages = Logger.getLogger("io.msb.runtime");
        ConsoleHandler console = new ConsoleHandler();
        console.setLevel(Level.FINE);
        stages.setLevel(Level.FINE);
        stages.addHandler(console);
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            p.runtime().remove(p.create("trace-warm", false).name(), true);
            String dmesg = "";
            for (int i = 0; i < boots; i++) {
                long t0 = System.nanoTime();
                SandboxHandle box = p.create("trace-" + i, false);
                System.out.printf("create→ready %.0f ms%n", (System.nanoTime() - t0) / 1e6);
                dmesg = new String(box.exec(ExecOptions.of("dmesg").build()).stdout(), StandardCharsets.UTF_8);
                p.runtime().remove(box.name(), true);
            }
            System.out.println("--- guest kernel log of the last boot ---");
            System.out.print(dmesg);
        }
    }
}
