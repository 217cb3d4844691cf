import io.msb.api.Mount;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.e2e.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Mount figures (see README.md, decisions 1201-1202): create-to-ready of builtin:busybox sandboxes without shares and
 * with two bind mounts, alternating, and 100 MiB written (dd, fsync) and read back (caches dropped) through a bind
 * mount (virtio-9p) against the guest's own disk (overlay on the ext4 upper, virtio-blk).
 * Usage: bench/vm/stack.sh Mounts [boots=6] [rounds=3]
 */
public class Mounts {
    public static void main(String[] args) throws Exception {
        int boots = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.println("load at start: " + Files.readString(Path.of("/proc/loadavg")).trim()
                + ", cpus " + Runtime.getRuntime().availableProcessors());
        Path work = Files.createTempDirectory("msb-bench-mounts");
        Path a = share(work.resolve("a"));
        Path b = share(work.resolve("b"));
        try (Platform p = Platform.open(Path.of(System.getProperty("user.home"), ".msb", "kernel"))) {
            SandboxService rt = p.runtime();
            SandboxSpec plain = SandboxSpec.builder("plain").image("builtin:busybox").replace(true).build();
            SandboxSpec shared = withShares("shares", a, b);
            for (SandboxSpec warm : List.of(plain, shared)) { // builds the image, its root and both initramfs once
                rt.create(warm);
                rt.remove(warm.name(), true);
            }
            List<Double> without = new ArrayList<>();
            List<Double> with = new ArrayList<>();
            for (int i = 0; i < boots; i++) {
                without.add(createMs(rt, plain));
                with.add(createMs(rt, shared));
            }
            System.out.printf("create -> ready, %d each, alternating: 0 shares median %.0f ms (%.0f-%.0f), "
                    + "2 shares median %.0f ms (%.0f-%.0f)%n", boots, median(without), Collections.min(without),
                    Collections.max(without), median(with), Collections.min(with), Collections.max(with));
            List<Double> diffs = new ArrayList<>();
            for (int i = 0; i < boots; i++) {
                diffs.add(with.get(i) - without.get(i));
            }
            System.out.printf("paired difference (2 shares - 0 shares), median %+.0f ms%n", median(diffs));

            SandboxHandle box = rt.create(withShares("throughput", a, b));
            for (String dir : List.of("/a", "/root")) {
                List<Double> write = new ArrayList<>();
                List<Double> read = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    write.add(mibPerSecond(box, "dd if=/dev/zero of=" + dir + "/f bs=1M count=100 conv=fsync"));
                    read.add(mibPerSecond(box, "echo 3 > /proc/sys/vm/drop_caches; dd if=" + dir
                            + "/f of=/dev/null bs=1M"));
                    sh(box, "rm " + dir + "/f");
                }
                System.out.printf("%-5s (%s): 100 MiB write+fsync median %.1f MiB/s, read median %.1f MiB/s (%d rounds)%n",
                        dir, dir.equals("/a") ? "bind mount, virtio-9p" : "guest disk, virtio-blk", median(write),
                        median(read), rounds);
            }
            rt.remove(box.name(), true);
        } finally {
            for (Path d : List.of(a.resolve("f"), b, a, work)) {
                Files.deleteIfExists(d);
            }
        }
    }

    private static SandboxSpec withShares(String name, Path a, Path b) {
        return SandboxSpec.builder(name).image("builtin:busybox").replace(true).mount(Mount.bind(a.toString(), "/a"))
                .mount(Mount.bind(b.toString(), "/b")).build();
    }

    private static Path share(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx")); // QEMU may run as msb-qemu
        return dir;
    }

    private static double createMs(SandboxService rt, SandboxSpec spec) {
        long t0 = System.nanoTime();
        rt.create(spec);
        double ms = (System.nanoTime() - t0) / 1e6;
        rt.remove(spec.name(), true);
        return ms;
    }

    /** 100 MiB over the wall time of the exec that moved them (the exec's own round trip included). */
    private static double mibPerSecond(SandboxHandle box, String script) {
        long t0 = System.nanoTime();
        sh(box, script);
        return 100 / ((System.nanoTime() - t0) / 1e9);
    }

    private static void sh(SandboxHandle box, String script) {
        ExecResult r = box.exec(ExecOptions.of("/bin/sh", "-c", script).build());
        if (r.exit().code() != 0) {
            throw new IllegalStateException(script + ": " + r.stdoutText() + r.stderrText());
        }
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }
}
