package io.msb.vmm.libkrun.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;

/**
 * A real libkrun VM: the system's libkrun.so.1, /dev/kvm and a guest kernel given by the system property
 * {@code msb.libkrun.kernel} or the variable {@code MSB_LIBKRUN_KERNEL} (e.g. an ELF vmlinux with virtio-mmio,
 * virtio-console and virtio-blk built in). Skips, naming what is missing, where any of them is absent.
 */
class LibkrunVmmBootTest {
    @TempDir
    Path tmp;

    @Test
    void bootsTheKernelWithTheAgentAsInit() throws Exception {
        Path launcher = RecordingFake.launcher();
        Optional<String> host = new HostProbe(launcher, "libkrun.so.1", Map.of()).unavailableReason();
        assumeTrue(host.isEmpty(), () -> "no real libkrun VM here: " + host.orElse(""));
        String kernel = System.getProperty("msb.libkrun.kernel", System.getenv("MSB_LIBKRUN_KERNEL"));
        assumeTrue(kernel != null && Files.isRegularFile(Path.of(kernel)),
                "no guest kernel: set -Dmsb.libkrun.kernel or MSB_LIBKRUN_KERNEL to an ELF vmlinux");
        Path agentd = Path.of("../../native/agentd/target/agentd").toAbsolutePath();
        assumeTrue(Files.isExecutable(agentd), "agentd is not built at " + agentd);
        LibkrunVmm backend = new LibkrunVmm(new LibkrunVmm.Settings(launcher, "libkrun.so.1", Path.of(kernel),
                "elf", agentd, tmp.resolve("home"), 1, Map.of()));
        VmHandle vm = backend.start(new VmSpec("real", Files.createDirectories(tmp.resolve("sb")), null, null,
                List.of(), List.of(), 1, 256, false, null));
        try {
            for (long end = System.nanoTime() + 120_000_000_000L; System.nanoTime() < end
                    && vm.consoleTail(200).stream().noneMatch(l -> l.contains("Linux version"));) {
                Thread.sleep(50);
            }
            assertTrue(vm.consoleTail(200).stream().anyMatch(l -> l.contains("Linux version")),
                    () -> "the kernel log shows no boot: " + vm.consoleTail(20));
            assertTrue(Files.exists(vm.agentChannel()));
        } finally {
            vm.terminate(Duration.ofSeconds(10));
        }
    }
}
