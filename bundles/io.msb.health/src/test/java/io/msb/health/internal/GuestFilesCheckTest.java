package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.vmm.qemu.internal.Accel;
import io.msb.vmm.qemu.internal.QemuVmm;

/** The real QEMU backend (its jar embeds agentd) over a kernel cache laid out as fetch-kernel.sh leaves it. */
class GuestFilesCheckTest {
    @TempDir
    Path home;
    Path image;

    @BeforeEach
    void cache() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "qemu-system-x86_64 is missing");
        Path dir = home.resolve("kernel/linux-image-6.1.0-57-cloud-amd64_6.1.192-3");
        Files.createDirectories(dir.resolve("boot"));
        Files.createFile(dir.resolve(".complete"));
        image = Files.writeString(dir.resolve("boot/vmlinuz-6.1.0-57-cloud-amd64"), "bzImage");
    }

    private Result assess(Path msbHome, Path kernel, Path agentd) {
        return GuestFilesCheck.assess(List.of(new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", msbHome, kernel, null,
                Accel.AUTO, agentd))));
    }

    @Test
    void theCachedKernelAndTheEmbeddedAgentdAreOk() {
        Result r = assess(home, null, null);
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("qemu guest kernel: " + image), r.toString());
        assertTrue(r.toString().contains("agentd: embedded in the qemu backend (io/msb/agentd/agentd)"), r.toString());
    }

    @Test
    void aRemovedKernelFileIsCriticalNamingItsPath() throws Exception {
        Files.delete(image);
        Result r = assess(home, null, null);
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("guest kernel is missing or unreadable: " + image), r.toString());
    }

    @Test
    void noKernelFetchedYetIsAWarning() {
        Result r = assess(home.resolve("fresh"), null, null);
        assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("no guest kernel in " + home.resolve("fresh/kernel") + " yet"), r.toString());
    }

    @Test
    void configuredFilesMustExist() throws Exception {
        Path agentd = Files.writeString(home.resolve("agentd"), "elf");
        assertEquals(Result.Status.OK, assess(home, image, agentd).getStatus());
        Result r = assess(home, home.resolve("vmlinuz"), home.resolve("agentd2"));
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains(home.resolve("vmlinuz") + " (kernel in io.msb.vmm.qemu)"), r.toString());
        assertTrue(r.toString().contains("agentd is missing or unreadable: " + home.resolve("agentd2")), r.toString());
    }

    @Test
    void unavailableBackendsAreLeftToTheVmmCheck() {
        Result r = GuestFilesCheck.assess(List.of(new QemuVmm(new QemuVmm.Settings(home.resolve("no-qemu").toString(),
                home.resolve("fresh"), null, null, Accel.AUTO, null))));
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
    }
}
