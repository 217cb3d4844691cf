package io.msb.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageReference;
import io.msb.api.network.InterfaceConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.VmSpec;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 12's throughput comparison (bench/network/README.md, "Against slirp and passt"): the same guest (builtin:busybox,
 * the platform's kernel, initramfs and QEMU command line, 1 vCPU, TCG where KVM cannot run) booted once per network
 * back end in one run, one VM at a time, each measured with NetworkStackIT's {@code dd | nc} both ways against
 * 127.0.0.1. slirp and passt get msb's QEMU command line through a wrapper that only swaps the {@code -netdev}.
 * A bench, not a test: it runs only with {@code -Dmsb.netbench.compare=<rounds>} and asserts only the data.
 */
@ExtendWith(PlatformExtension.class)
class NetworkCompareIT {
    /** One network back end; {@code netdev} is what replaces msb's {@code -netdev stream,...} (null: msb's own). */
    record Variant(String name, int mtu, String netdev, boolean passt) {
    }

    record Figures(Variant variant, List<Double> up, List<Double> down, String loadBefore, String loadAfter) {
    }

    @Test
    void slirpPasstAndTheStackInOneRun(Platform platform) throws Exception {
        int rounds = Integer.getInteger("msb.netbench.compare", 0);
        assumeTrue(rounds > 0, "a bench: run with -Dmsb.netbench.compare=<rounds>");
        int mib = Integer.getInteger("msb.netbench.mib", 64);
        List<String> wanted = List.of(System.getProperty("msb.netbench.variants", "slirp,passt,passt-65520,msb-1500,msb")
                .split(","));
        ImageInfo busybox = platform.images().pull(ImageReference.parse(Platform.IMAGE), PullPolicy.IF_MISSING, null);
        VmSpec.Disk root = platform.rootfs().rootDisk(busybox);
        List<Figures> table = new ArrayList<>();
        for (String name : wanted) {
            Path dir = Files.createTempDirectory(platform.home, "cmp");
            NetworkService network = platform.network();
            try (ServerSocket host = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                // msb's attachment for every variant: the guest gets the same addresses and bootstrap each time
                NetworkConfig config = NetworkConfig.defaults().withPolicy(NetworkPolicy.profile("host"));
                if (name.equals("msb-1500")) {
                    config = new NetworkConfig(true, new InterfaceConfig(null, 1500, null, null, null, null),
                            config.ports(), config.policy(), config.dns(), config.tls(), config.secrets(),
                            config.maxConnections(), config.rateLimiter(), config.trustHostCas(), config.strict());
                }
                NetworkAttachment attachment = network.attach("cmp-" + name, dir, config);
                Variant v = variant(name, attachment, dir);
                if (v.netdev() != null) {
                    network.detach("cmp-" + name); // the stack stays out of this VM's way
                    Map<String, String> p = new HashMap<>(attachment.parameters());
                    p.put("mtu", Integer.toString(v.mtu()));
                    attachment = new NetworkAttachment(attachment.kind(), p);
                }
                try {
                    table.add(measure(platform, v, dir, root, attachment, host, rounds, mib));
                    if (v.netdev() == null) {
                        System.out.println(name + " counters: " + network.counters("cmp-" + name).orElseThrow());
                    }
                } finally {
                    network.detach("cmp-" + name);
                }
            }
        }
        System.out.println(format(table, rounds, mib));
    }

    static Variant variant(String name, NetworkAttachment attachment, Path dir) {
        String gateway = attachment.parameters().get("gateway");
        String passtSocket = "/tmp/msb-passt-" + ProcessHandle.current().pid() + "-" + dir.getFileName() + ".sock";
        return switch (name) {
            case "msb", "msb-1500" -> new Variant(name, Integer.parseInt(attachment.parameters().get("mtu")), null,
                    false);
            // the gateway stands for the host's 127.0.0.1 in all three (slirp: host=, passt: its gateway mapping)
            case "slirp" -> new Variant(name, 1500, "user,id=net0,ipv6=off,net="
                    + gateway.substring(0, gateway.lastIndexOf('.')) + ".0/24,host=" + gateway, false);
            case "passt", "passt-65520" -> new Variant(name, name.equals("passt") ? 1500 : 65520,
                    "stream,id=net0,server=off,addr.type=unix,addr.path=" + passtSocket, true);
            default -> throw new IllegalArgumentException("unknown variant " + name
                    + " (slirp, passt, passt-65520, msb-1500, msb)");
        };
    }

    static Figures measure(Platform platform, Variant v, Path dir, VmSpec.Disk root, NetworkAttachment attachment,
            ServerSocket host, int rounds, int mib) throws Exception {
        String gateway = attachment.parameters().get("gateway");
        String loadBefore = load();
        List<Double> up = new ArrayList<>();
        List<Double> down = new ArrayList<>();
        Process passt = v.passt() ? startPasst(v, attachment, dir) : null;
        try {
            AtomicReference<Exception> failure = new AtomicReference<>();
            Runnable run = () -> {
                try (NetworkedVm vm = NetworkedVm.boot(platform, "cmp-" + v.name(), "cmp-" + v.name(), dir, root,
                        attachment, Duration.ofSeconds(NetworkStackIT.GUARD_SECONDS))) {
                    for (int r = 0; r < rounds; r++) {
                        up.add(attempt(() -> NetworkStackIT.upload(vm.agent(), gateway, host, mib)));
                        down.add(attempt(() -> NetworkStackIT.download(vm.agent(), gateway, host, mib, false)));
                        System.out.printf("%s round %d: guest->host %.0f, host->guest %.0f Mbit/s (load %s)%n",
                                v.name(), r + 1, up.get(r), down.get(r), load());
                    }
                } catch (Exception e) {
                    failure.set(e);
                }
            };
            if (v.netdev() == null) {
                run.run();
            } else {
                platform.withQemu(Map.of("qemu", wrapper(v, dir).toString()), run);
            }
            if (failure.get() != null) {
                throw failure.get();
            }
        } finally {
            if (passt != null) {
                passt.destroy();
                passt.waitFor(10, TimeUnit.SECONDS);
                Files.deleteIfExists(Path.of(passtSocket(v))); // passt leaves it behind
            }
        }
        return new Figures(v, up, down, loadBefore, load());
    }

    interface Transfer {
        double run() throws Exception;
    }

    /** A transfer's Mbit/s, or NaN if it failed (passt resets flows of a guest that falls behind): the run goes on. */
    static double attempt(Transfer t) {
        try {
            return t.run();
        } catch (Exception | AssertionError e) {
            System.out.println("failed: " + e.getMessage().strip());
            return Double.NaN;
        }
    }

    /** msb's QEMU command line with its {@code -netdev stream,...,server=on,...} replaced by the variant's. */
    static Path wrapper(Variant v, Path dir) throws Exception {
        Path script = dir.resolve("qemu-" + v.name());
        Files.writeString(script, "#!/bin/sh\n"
                + "for a; do\n"
                + "  shift\n"
                + "  case $a in stream,id=net0,server=on,*) a='" + v.netdev() + "' ;; esac\n"
                + "  set -- \"$@\" \"$a\"\n"
                + "done\n"
                + "exec qemu-system-x86_64 \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /**
     * passt (Debian 12: 0.0~git20230309) in the foreground, IPv4 only, no ports forwarded, the guest's addresses as
     * msb assigns them (static in the guest, so passt's DHCP goes unused). Its socket lives in /tmp: passt drops to
     * nobody before it binds, and the VM's directory is root's alone.
     */
    static Process startPasst(Variant v, NetworkAttachment attachment, Path dir) throws Exception {
        String socket = passtSocket(v);
        String cidr = attachment.parameters().get("ipv4");
        Process p = new ProcessBuilder("passt", "-f", "-q", "-4", "-s", socket, "-a", cidr.substring(0, cidr.indexOf('/')),
                "-n", cidr.substring(cidr.indexOf('/') + 1), "-g", attachment.parameters().get("gateway"),
                "-m", Integer.toString(v.mtu()), "-t", "none", "-u", "none")
                .redirectErrorStream(true).redirectOutput(dir.resolve("passt.log").toFile()).start();
        for (int i = 0; i < 100 && !Files.exists(Path.of(socket)); i++) {
            if (!p.isAlive()) {
                throw new IllegalStateException("passt exited: " + Files.readString(dir.resolve("passt.log")));
            }
            Thread.sleep(50);
        }
        return p;
    }

    static String passtSocket(Variant v) {
        return v.netdev().substring(v.netdev().indexOf("addr.path=") + "addr.path=".length());
    }

    static String load() throws Exception {
        String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }

    static String format(List<Figures> table, int rounds, int mib) {
        StringBuilder b = new StringBuilder(String.format("%nthroughput, Mbit/s (%d MiB each way, %d rounds; median"
                + " [rounds])%n| network | guest MTU | guest→host | host→guest | load average before → after |%n"
                + "|---|---|---|---|---|%n", mib, rounds));
        for (Figures f : table) {
            b.append(String.format("| %s | %d | %.0f [%s] | %.0f [%s] | %s → %s |%n", f.variant().name(),
                    f.variant().mtu(), median(f.up()), join(f.up()), median(f.down()), join(f.down()),
                    f.loadBefore(), f.loadAfter()));
        }
        return b.toString();
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs.stream().filter(x -> !x.isNaN()).toList());
        s.sort(null);
        return s.isEmpty() ? Double.NaN : s.get(s.size() / 2);
    }

    static String join(List<Double> xs) {
        StringBuilder b = new StringBuilder();
        for (double x : xs) {
            b.append(b.length() == 0 ? "" : " ").append(Double.isNaN(x) ? "failed" : Long.toString(Math.round(x)));
        }
        return b.toString();
    }
}
