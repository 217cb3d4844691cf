package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.api.MsbException;
import io.msb.api.spi.VmmBackend.BootFile;

/**
 * What the backend says about its boot files and acceleration without booting: real files in a temporary MSB_HOME,
 * the kernel cache laid out as fetch-kernel.sh leaves it, probe verdicts as {@link AccelProbe} stores them.
 */
class BootReadinessTest {
    @TempDir
    Path home;
    Path dir;
    Path image;

    @BeforeEach
    void cache() throws Exception {
        dir = home.resolve("kernel/linux-image-6.1.0-57-cloud-amd64_6.1.192-3");
        Files.createDirectories(dir.resolve("boot"));
        Files.createFile(dir.resolve(".complete"));
        image = Files.writeString(dir.resolve("boot/vmlinuz-6.1.0-57-cloud-amd64"), "bzImage");
    }

    private QemuVmm qemu(Path msbHome, Path kernel, Accel accel, Path agentd) {
        return new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", msbHome, kernel, null, accel, agentd));
    }

    private BootFile kernelFile(QemuVmm q) {
        return q.bootFiles().stream().filter(f -> f.what().equals("guest kernel")).findFirst().orElseThrow();
    }

    @Test
    void theNewestCompleteFetchIsTheKernelAndItsImageIsPresent() throws Exception {
        Path partial = Files.createDirectories(home.resolve("kernel/linux-image-6.9.0-1-cloud-amd64_6.9.1-1/boot"));
        Files.writeString(partial.resolve("vmlinuz-6.9.0-1-cloud-amd64"), "no .complete: still being fetched");
        BootFile k = kernelFile(qemu(home, null, Accel.AUTO, null));
        assertEquals(new BootFile("guest kernel", image.toString(), BootFile.State.PRESENT, "Debian's cloud kernel"), k);
        assertEquals(image, KernelLocator.unpacked(dir).image());
    }

    @Test
    void aRemovedImageIsMissingNamingItsPathAndHowToFetchItAgain() throws Exception {
        Files.delete(image);
        BootFile k = kernelFile(qemu(home, null, Accel.AUTO, null));
        assertEquals(BootFile.State.MISSING, k.state());
        assertEquals(image.toString(), k.location());
        assertEquals("remove " + dir + " to have it fetched again", k.detail());
        MsbException e = assertThrows(MsbException.class, () -> KernelLocator.unpacked(dir));
        assertTrue(e.getMessage().contains("guest kernel is missing: " + image), e.getMessage());
    }

    @Test
    void nothingFetchedYetIsFetchedAtTheFirstBoot() {
        BootFile k = kernelFile(qemu(home.resolve("fresh"), null, Accel.AUTO, null));
        assertEquals(BootFile.State.FETCHED_AT_FIRST_BOOT, k.state());
        assertEquals(home.resolve("fresh/kernel").toString(), k.location());
    }

    @Test
    void configuredFilesArePresentOrMissing() throws Exception {
        Path agentd = Files.writeString(home.resolve("agentd"), "elf");
        assertEquals(List.of(new BootFile("guest kernel", image.toString(), BootFile.State.PRESENT, ""),
                new BootFile("agentd", agentd.toString(), BootFile.State.PRESENT, "")),
                qemu(home, image, Accel.AUTO, agentd).bootFiles());
        assertEquals(List.of(new BootFile("guest kernel", home.resolve("vmlinuz").toString(), BootFile.State.MISSING,
                "kernel in io.msb.vmm.qemu"), new BootFile("agentd", home.resolve("agentd2").toString(),
                BootFile.State.MISSING, "agentd in io.msb.vmm.qemu")),
                qemu(home, home.resolve("vmlinuz"), Accel.AUTO, home.resolve("agentd2")).bootFiles());
    }

    @Test
    void configuredAccelerationNeedsNoProbe() {
        assertEquals(Optional.of("accel=tcg is configured in io.msb.vmm.qemu"),
                qemu(home, null, Accel.TCG, null).accelerationReason());
        assertEquals(Optional.empty(), qemu(home, null, Accel.KVM, null).accelerationReason());
    }

    @Test
    void aCachedFailedProbeForThisQemuAndKernelIsTheReason() throws Exception {
        Path device = Files.createFile(home.resolve("kvm"));
        Path verdicts = home.resolve("kernel/accel-probe.properties");
        assertEquals(Optional.empty(), AccelProbe.knownProblem(device, "qemu-system-x86_64", image, verdicts),
                "no probe ran yet");
        String key = AccelProbe.identity("qemu-system-x86_64", image);
        Files.writeString(verdicts, "other=a verdict for another kernel\n" + key
                + "=a KVM test boot failed (QEMU exit 134)\\: failed to set MSR 0x10a\n");
        assertEquals(Optional.of("a KVM test boot failed (QEMU exit 134): failed to set MSR 0x10a (cached in " + verdicts + ")"),
                AccelProbe.knownProblem(device, "qemu-system-x86_64", image, verdicts));
        Files.writeString(verdicts, key + "=ok\n");
        assertEquals(Optional.empty(), AccelProbe.knownProblem(device, "qemu-system-x86_64", image, verdicts));
        assertEquals(Optional.of(home.resolve("no-kvm") + " does not exist (no hardware virtualisation on this host)"),
                AccelProbe.knownProblem(home.resolve("no-kvm"), "qemu-system-x86_64", image, verdicts));
    }

    @Test
    void beforeTheFirstBootTheBackendAnswersFromTheDeviceAndTheCachedVerdict() throws Exception {
        Path verdicts = home.resolve("kernel/accel-probe.properties");
        Files.writeString(verdicts, AccelProbe.identity("qemu-system-x86_64", image) + "=a KVM test boot failed\n");
        Optional<String> device = AccelProbe.deviceProblem(AccelProbe.KVM);
        assertEquals(Optional.of(device.orElse("a KVM test boot failed (cached in " + verdicts + ")")),
                qemu(home, null, Accel.AUTO, null).accelerationReason());
    }
}
