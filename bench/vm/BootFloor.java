import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.testing.EmbeddedMsb;
import java.util.Map;

/**
 * The boot floor: the backend boots its kernel with an initramfs whose /init only powers off, N times, and
 * prints per boot the time until QEMU runs (start() returned) and until QEMU exited, then the medians.
 * With "agentd" instead of a binary it boots the default initramfs (agentd from the class path) and times the
 * first frame (core.ready) on the agent channel instead of the power-off.
 * With "net" as the fourth argument, every other boot has a network: a stream attachment nobody connects to, the
 * virtio_net modules in the initramfs and (agentd) the bootstrap of conformance/guest-bootstrap/network.hex, so
 * agentd configures eth0; medians are printed per kind (decision 0830).
 * Usage (see README.md): java -cp <jars> BootFloor.java <poweroff-binary|agentd> [boots] [auto|kvm|tcg] [net]
 */
public class BootFloor {
    public static void main(String[] args) throws Exception {
        boolean agentd = args[0].equals("agentd");
        int boots = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        String accel = args.length > 2 ? args[2] : "auto";
        Path home = io.msb.api.MsbHome.resolve(null);
        boolean compareNet = args.length > 3 && args[3].equals("net");
        // The real backend bundle, configured as a server would be; with a binary, that is the backend's /init
        // (and it adds the network modules to the initramfs of a VM with a network, as for agentd).
        try (EmbeddedMsb msb = EmbeddedMsb.builder(home).bundles("io.msb.vmm.qemu")
                .configure("io.msb.vmm.qemu", agentd ? Map.of("accel", accel)
                        : Map.of("accel", accel, "agentd", Path.of(args[0]).toAbsolutePath().toString()))
                .start()) {
            boot(msb.service(VmmBackend.class, "(name=qemu)"), agentd, boots, compareNet);
        }
    }

    private static void boot(VmmBackend vmm, boolean agentd, int boots, boolean compareNet) throws Exception {
        String netBootstrap = "msb.bootstrap=" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                java.util.HexFormat.of().parseHex(Files.readString(Path.of(System.getProperty("msb.netVector",
                        "conformance/guest-bootstrap/network.hex"))).trim()));
        List<Double> netTotal = new ArrayList<>();
        System.out.printf("init %s, 1 vCPU, 256 MiB, %d boots%n", agentd ? "agentd (default initramfs)" : "poweroff",
                boots);
        List<Double> up = new ArrayList<>();
        List<Double> total = new ArrayList<>();
        for (int i = 0; i < boots; i++) {
            Path dir = Files.createTempDirectory("msb-bench-");
            boolean net = compareNet && i % 2 == 1;
            VmSpec spec = net
                    ? new VmSpec("bench-" + i, dir, null, null, agentd ? List.of(netBootstrap) : List.of(),
                            List.of(), 1, 256, false, new io.msb.api.spi.NetworkAttachment("stream", java.util.Map.of(
                                    "path", dir.resolve("net.sock").toString(), "mac", "02:00:ac:10:00:06")))
                    : new VmSpec("bench-" + i, dir, null, null, List.of(), List.of(), 1, 256, false, null);
            long t0 = System.nanoTime();
            VmHandle vm = vmm.start(spec);
            long t1 = System.nanoTime();
            if (i == 0) {
                System.out.println("QEMU " + io.msb.e2e.Platform.qemuArgs(vm.pid()));
            }
            long t2;
            if (agentd) {
                try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(vm.agentChannel()))) {
                    ch.read(ByteBuffer.allocate(1)); // the first byte of core.ready
                    t2 = System.nanoTime();
                } finally {
                    vm.kill();
                }
            } else {
                OptionalInt status = vm.waitFor(Duration.ofMinutes(5));
                t2 = System.nanoTime();
                if (status.isEmpty() || status.getAsInt() != 0) {
                    vm.kill();
                    throw new IllegalStateException("boot " + i + " did not power off: " + vm.consoleTail(10));
                }
            }
            up.add((t1 - t0) / 1e6);
            (net ? netTotal : total).add((t2 - t0) / 1e6);
            System.out.printf("boot %2d%s: qemu running %7.1f ms, " + (agentd ? "agent ready" : "powered off") + " %7.1f ms%n", i,
                    net ? " (network)" : "", up.get(i), (t2 - t0) / 1e6);
            try (var walk = Files.walk(dir)) {
                walk.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.out.printf("median: qemu running %.1f ms, start-to-%s %.1f ms (min %.1f, max %.1f)%n", median(up),
                agentd ? "agent-ready" : "power-off", median(total), Collections.min(total), Collections.max(total));
        if (!netTotal.isEmpty()) {
            System.out.printf("median with a network: start-to-%s %.1f ms (min %.1f, max %.1f)%n",
                    agentd ? "agent-ready" : "power-off", median(netTotal), Collections.min(netTotal),
                    Collections.max(netTotal));
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
