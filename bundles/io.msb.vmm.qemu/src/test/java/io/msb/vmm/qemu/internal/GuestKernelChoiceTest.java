package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.MsbException;
import io.msb.api.InvalidConfigException;
import io.msb.api.spi.VmmBackend.BootFile;

/**
 * Which kernel the backend boots (attribute guestKernel, decision 1900), over a real kernel cache laid out as
 * fetch-kernel.sh and build-kernel.sh leave it; and the fragment check of build-kernel.sh, run for real.
 */
class GuestKernelChoiceTest {
    @TempDir
    Path home;
    Path cache;
    Path debianImage;

    @BeforeEach
    void debianKernel() throws Exception {
        cache = home.resolve("kernel");
        Path dir = cache.resolve("linux-image-6.1.0-57-cloud-amd64_6.1.192-3");
        Files.createDirectories(dir.resolve("boot"));
        Files.createFile(dir.resolve(".complete"));
        debianImage = bzImage(dir.resolve("boot/vmlinuz-6.1.0-57-cloud-amd64"), "6.1.0-57-cloud-amd64");
    }

    /** An x86 boot image header whose kernel_version string is {@code release}. */
    private static Path bzImage(Path p, String release) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(0x1000).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x202, "HdrS".getBytes(StandardCharsets.US_ASCII));
        b.putShort(0x20E, (short) 0x300);
        b.put(0x500, (release + " (builder@host) #1 SMP\0").getBytes(StandardCharsets.US_ASCII));
        Files.createDirectories(p.getParent());
        return Files.write(p, b.array());
    }

    /** A build-kernel.sh output directory for fragment hash {@code hash}; complete or still being made. */
    private Path msbBuild(String hash, boolean complete) throws Exception {
        Path dir = cache.resolve("msb-6.1.192-3-" + hash);
        bzImage(dir.resolve(KernelLocator.MSB_IMAGE), "6.1.192-msb");
        if (complete) {
            Files.createFile(dir.resolve(".complete"));
        }
        return dir;
    }

    private QemuVmm qemu(String choice) {
        return new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", home, null, null, Accel.TCG, null)
                .withGuestKernel(choice));
    }

    private static BootFile kernelFile(QemuVmm q) {
        return q.bootFiles().stream().filter(f -> f.what().equals("guest kernel")).findFirst().orElseThrow();
    }

    @Test
    void autoBootsACompleteBuildOfTheCurrentFragmentWithoutModules() throws Exception {
        Path dir = msbBuild(KernelLocator.buildHash(), true);
        GuestKernel k = GuestKernelChoice.AUTO.locate(cache);
        assertEquals(dir.resolve("bzImage"), k.image());
        assertNull(k.modulesDir());
        QemuVmm q = qemu("auto");
        assertEquals(Optional.of("6.1.192-msb"), q.guestKernelRelease());
        assertEquals(new BootFile("guest kernel", dir.resolve("bzImage").toString(), BootFile.State.PRESENT,
                "msb's own kernel 6.1.192-msb"), kernelFile(q));
        assertEquals(dir.resolve("bzImage"), q.kernelImage());
    }

    @Test
    void autoIgnoresAStaleHashAndAnIncompleteBuildAndNamesDebiansKernel() throws Exception {
        msbBuild("0123456789ab", true); // another fragment: never booted
        msbBuild(KernelLocator.buildHash(), false); // still being built
        QemuVmm q = qemu("auto");
        assertEquals(Optional.of("6.1.0-57-cloud-amd64"), q.guestKernelRelease());
        assertEquals(new BootFile("guest kernel", debianImage.toString(), BootFile.State.PRESENT,
                "Debian's cloud kernel 6.1.0-57-cloud-amd64"), kernelFile(q));
        assertEquals(Optional.empty(), KernelLocator.msbBuild(cache));
    }

    @Test
    void msbWithoutABuildFailsNamingTheAttributeAndHowToBuild() throws Exception {
        msbBuild("0123456789ab", true);
        MsbException e = assertThrows(MsbException.class, () -> GuestKernelChoice.MSB.locate(cache));
        assertTrue(e.getMessage().contains("guestKernel is msb"), e.getMessage());
        assertTrue(e.getMessage().contains("msb-server kernel build"), e.getMessage());
        assertTrue(e.getMessage().contains(KernelLocator.buildHash()), e.getMessage());
        BootFile k = kernelFile(qemu("msb"));
        assertEquals(BootFile.State.MISSING, k.state());
        assertTrue(k.detail().contains("msb-server kernel build"), k.detail());
        assertEquals(Optional.empty(), qemu("msb").guestKernelRelease());
    }

    @Test
    void debianIsDebiansEvenWhenMsbsIsBuilt() throws Exception {
        msbBuild(KernelLocator.buildHash(), true);
        QemuVmm q = qemu("debian");
        assertEquals(Optional.of("6.1.0-57-cloud-amd64"), q.guestKernelRelease());
        assertEquals(debianImage.toString(), kernelFile(q).location());
    }

    @Test
    void aConfiguredKernelWinsOverTheChoice() throws Exception {
        msbBuild(KernelLocator.buildHash(), true);
        Path own = bzImage(home.resolve("own/vmlinuz"), "6.6.0-own");
        QemuVmm q = new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", home, own, null, Accel.TCG, null)
                .withGuestKernel("msb"));
        assertEquals(Optional.of("6.6.0-own"), q.guestKernelRelease());
        assertEquals(own, q.kernelImage());
    }

    @Test
    void anUnknownChoiceIsRefusedNamingTheField() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> GuestKernelChoice.parse("guestKernel", "fedora"));
        assertTrue(e.getMessage().contains("guestKernel"), e.getMessage());
        assertEquals(GuestKernelChoice.DEBIAN, GuestKernelChoice.parse("guestKernel", " Debian "));
    }

    @Test
    void theFragmentCheckReportsEveryDroppedOption() throws Exception {
        Path fragment = Files.writeString(home.resolve("frag.config"), """
                # a comment
                CONFIG_KEPT=y
                CONFIG_DROPPED=y
                # CONFIG_OFF is not set
                # CONFIG_TURNED_ON is not set
                CONFIG_STRING="-msb"
                """);
        Path config = Files.writeString(home.resolve(".config"), """
                CONFIG_KEPT=y
                # CONFIG_DROPPED is not set
                # CONFIG_OFF is not set
                CONFIG_TURNED_ON=y
                CONFIG_STRING="-msb"
                """);
        Path script = home.resolve("build-kernel.sh");
        try (var in = KernelLocator.class.getResourceAsStream(KernelLocator.BUILD_SCRIPT)) {
            Files.write(script, in.readAllBytes());
        }
        Process p = new ProcessBuilder("sh", script.toString(), "--check", fragment.toString(), config.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor(), out);
        List<String> dropped = out.lines().filter(l -> l.startsWith("  ")).map(String::trim).toList();
        assertEquals(List.of("CONFIG_DROPPED=y", "# CONFIG_TURNED_ON is not set"), dropped, out);

        Files.writeString(config, Files.readString(fragment));
        Process ok = new ProcessBuilder("sh", script.toString(), "--check", fragment.toString(), config.toString())
                .redirectErrorStream(true).start();
        assertEquals(0, ok.waitFor(), new String(ok.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void theShippedFragmentBuildsNoModulesAndNamesTheReleaseOurs() throws Exception {
        String fragment;
        try (var in = KernelLocator.class.getResourceAsStream(KernelLocator.FRAGMENT)) {
            fragment = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(fragment.lines().anyMatch("# CONFIG_MODULES is not set"::equals));
        assertTrue(fragment.lines().anyMatch("CONFIG_LOCALVERSION=\"-msb\""::equals));
        assertTrue(KernelLocator.buildHash().matches("[0-9a-f]{12}"));
    }
}
