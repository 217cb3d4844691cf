package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.Mount;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * msb's own guest kernel (decision 1900) under a real sandbox: builtin:busybox boots it (guestKernel auto picks a
 * complete build of this checkout's fragment in the kernel cache), with a 9p bind mount and the network, and finds
 * what the platform relies on built in. Skipped when no such build is in the cache.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class MsbKernelIT {
    private static final Path GUEST = Path.of("../native/guest").toAbsolutePath().normalize();

    /** The build directory build-kernel.sh names after sha256(fragment + script), as the backend looks for it. */
    private static Path msbBuild() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(Files.readAllBytes(GUEST.resolve("msb-kernel.config")));
        sha.update(Files.readAllBytes(GUEST.resolve("build-kernel.sh")));
        String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 12);
        Path cache = Platform.kernelCache();
        try (Stream<Path> dirs = Files.list(cache)) {
            return dirs.filter(d -> d.getFileName().toString().matches("msb-.*-" + hash))
                    .filter(d -> Files.isRegularFile(d.resolve(".complete"))).findFirst()
                    .orElseGet(() -> {
                        assumeTrue(false, "no msb guest kernel of this checkout (msb-*-" + hash + ") in " + cache
                                + ": run `msb-server kernel build` or native/guest/build-kernel.sh " + cache);
                        return null;
                    });
        }
    }

    @Test
    void busyboxBootsOurKernelWithMountsNetworkCgroupsAndNoModules(Platform platform, @TempDir Path tmp)
            throws Exception {
        msbBuild();
        assumeTrue(platform.networked(), "needs io.msb.network running in the platform");
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx")); // QEMU may be msb-qemu
        Files.writeString(shared.resolve("from-host.txt"), "host wrote this\n");
        SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-msb-kernel").image(Platform.IMAGE)
                .replace(true).mount(Mount.bind(shared.toString(), "/shared"))
                .network(new NetworkConfig(true, List.of(), NetworkPolicy.defaults(), 8, null)).build());
        try {
            String release = ok(box, "uname -r").trim();
            assertTrue(release.endsWith("-msb"), release);
            PlatformInfo.Backend qemu = platform.runtime().platform().backends().stream()
                    .filter(b -> b.name().equals("qemu")).findFirst().orElseThrow();
            assertEquals(release, qemu.guestKernel(), "the reported kernel is the one the guest runs");

            assertEquals("host wrote this\n", ok(box, "cat /shared/from-host.txt"));
            ok(box, "echo guest wrote this > /shared/from-guest.txt");
            assertEquals("guest wrote this\n", Files.readString(shared.resolve("from-guest.txt")));

            // virtio-net configured by agentd; the carrier follows once the host's network stack has connected
            String eth0 = ok(box, "ip -4 addr show eth0");
            assertTrue(eth0.contains(",UP,") && eth0.contains("inet "), eth0);
            Platform.await("eth0's carrier", () -> ok(box, "cat /sys/class/net/eth0/operstate").equals("up\n"));

            String disks = ok(box, "head -c 4096 /proc/diskstats");
            assertTrue(disks.contains(" vda "), "the root disk in /proc/diskstats:\n" + disks);
            String controllers = ok(box, "cat /sys/fs/cgroup/cgroup.controllers");
            for (String c : List.of("cpu", "io", "memory", "pids")) {
                assertTrue((" " + controllers.trim() + " ").contains(" " + c + " "), controllers);
            }
            assertEquals("0\n", ok(box, "cat /sys/module/page_reporting/parameters/page_reporting_order"),
                    "agentd has the balloon report free pages singly (decision 1918)");
            // built without module support: nothing to load, and agentd loaded nothing
            assertEquals("no /proc/modules\n", ok(box, "[ -e /proc/modules ] || echo no /proc/modules"));
            assertEquals("", ok(box, "dmesg | grep 'agentd: loaded' || true"));
        } finally {
            platform.runtime().remove(box.name(), true);
        }
    }

    private static String ok(SandboxHandle box, String script) {
        ExecResult r = Platform.sh(box, script);
        assertEquals(0, r.exit().code(), script + ": " + r.stderrText());
        return r.stdoutText();
    }
}
