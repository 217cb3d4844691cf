package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.vmm.qemu.internal.QemuVmm;

/** A kernel cache laid out as fetch-kernel.sh leaves it, in a temporary MSB_HOME; agentd from the real backend jar. */
class GuestFilesCheckTest {
    private static final Function<String, URL> BACKEND = QemuVmm.class.getClassLoader()::getResource;

    @TempDir
    Path home;
    Path image;

    @BeforeEach
    void cache() throws Exception {
        Path dir = home.resolve("kernel/linux-image-6.1.0-57-cloud-amd64_6.1.192-3");
        Files.createDirectories(dir.resolve("boot"));
        Files.createFile(dir.resolve(".complete"));
        image = Files.writeString(dir.resolve("boot/vmlinuz-6.1.0-57-cloud-amd64"), "bzImage");
    }

    @Test
    void theCachedKernelAndTheEmbeddedAgentdAreOk() {
        Result r = GuestFilesCheck.assess("", "", home, BACKEND);
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains(image.toString()), r.toString());
    }

    @Test
    void aRemovedKernelFileIsCriticalNamingItsPath() throws Exception {
        Files.delete(image);
        Result r = GuestFilesCheck.assess("", "", home, BACKEND);
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("guest kernel is missing or unreadable: " + image), r.toString());
    }

    @Test
    void noKernelFetchedYetIsAWarning() {
        Result r = GuestFilesCheck.assess("", "", home.resolve("fresh"), BACKEND);
        assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("no guest kernel in " + home.resolve("fresh/kernel")), r.toString());
    }

    @Test
    void configuredFilesMustExist() throws Exception {
        Path agentd = Files.writeString(home.resolve("agentd"), "elf");
        assertEquals(Result.Status.OK, GuestFilesCheck.assess(image.toString(), agentd.toString(), home, BACKEND).getStatus());
        Result r = GuestFilesCheck.assess(home.resolve("vmlinuz").toString(), home.resolve("agentd2").toString(), home, BACKEND);
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains(home.resolve("vmlinuz") + " (kernel in io.msb.vmm.qemu)"), r.toString());
        assertTrue(r.toString().contains("agentd is missing or unreadable: " + home.resolve("agentd2")), r.toString());
    }

    @Test
    void aBackendWithoutAgentdIsCritical() {
        Result r = GuestFilesCheck.assess("", "", home, name -> null);
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains(GuestFilesCheck.AGENTD_RESOURCE), r.toString());
    }
}
