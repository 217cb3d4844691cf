package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.spi.VmSpec;

/**
 * The real things the VM tests need: QEMU, Debian's cloud kernel (fetched into the shared kernel cache,
 * {@code $MSB_HOME/kernel}), and the test /init (src/test/c/testinit.c) built with musl-gcc. Each is checked
 * once; a missing one skips the test with its name.
 */
final class TestGuest {
    static final Path HOME = Path.of("target/test-home").toAbsolutePath();
    private static GuestKernel kernel;
    private static byte[] init;
    private static final List<Path> TEMP_DIRS = new java.util.ArrayList<>();

    private TestGuest() {
    }

    static synchronized GuestKernel kernel() {
        if (kernel == null) {
            try {
                kernel = KernelLocator.debianCloud(MsbHome.resolve(null).resolve("kernel"));
            } catch (MsbException | java.io.UncheckedIOException e) {
                assumeTrue(false, "Debian cloud kernel unavailable (apt-get download failed): " + e.getMessage());
            }
        }
        return kernel;
    }

    static void assumeQemu() {
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
    }

    static synchronized byte[] testInit() throws IOException, InterruptedException {
        if (init == null) {
            assumeTrue(onPath("musl-gcc"), "musl-gcc is not installed (apt-get install musl-tools)");
            Path out = Path.of("target/testinit").toAbsolutePath();
            Process p = new ProcessBuilder("musl-gcc", "-static", "-Os", "-o", out.toString(),
                    Path.of("src/test/c/testinit.c").toAbsolutePath().toString()).inheritIO().start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("musl-gcc could not build src/test/c/testinit.c");
            }
            init = Files.readAllBytes(out);
        }
        return init;
    }

    static QemuVmm vmm() {
        assumeQemu();
        GuestKernel k = kernel();
        return new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", HOME, k.image(), k.modulesDir(),
                Accel.parse("msb.test.accel", System.getProperty("msb.test.accel", "auto")), null));
    }

    /** A one-CPU VM whose test /init runs {@code mode}; the state directory is short enough for socket paths. */
    static VmSpec spec(String name, Path initramfs, String mode, boolean detached) throws IOException {
        Path stateDir = tempDir();
        return new VmSpec(name, stateDir, null, initramfs, List.of("msbtest=" + mode), List.of(), 1, 256, detached,
                null);
    }

    /** A short-pathed temporary directory (UNIX socket paths are limited), removed by {@link #cleanup()}. */
    static synchronized Path tempDir() throws IOException {
        Path d = Files.createTempDirectory("msb-vmtest-");
        TEMP_DIRS.add(d);
        return d;
    }

    static synchronized void cleanup() {
        TEMP_DIRS.forEach(AccelProbe::deleteTree);
        TEMP_DIRS.clear();
    }

    static boolean onPath(String tool) {
        return AccelProbe.resolveBinary(tool).isAbsolute() && Files.isExecutable(AccelProbe.resolveBinary(tool));
    }
}
