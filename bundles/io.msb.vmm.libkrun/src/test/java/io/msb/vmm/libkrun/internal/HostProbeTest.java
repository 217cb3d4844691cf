package io.msb.vmm.libkrun.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe's verdicts as a user reads them in {@code unavailableReason()}. */
class HostProbeTest {
    @TempDir
    Path tmp;

    @Test
    void missingLibraryIsNamed() {
        HostProbe probe = new HostProbe(RecordingFake.launcher(), tmp.resolve("libkrun.so.1").toString(),
                Map.of(RecordingFake.SKIP_KVM, "1"));
        Optional<String> why = probe.unavailableReason();
        assertEquals(Optional.of("libkrun.so.1 not found: " + tmp.resolve("libkrun.so.1")
                + ": cannot open shared object file: No such file or directory"), why);
    }

    @Test
    void missingKvmIsNamed() throws Exception {
        assumeFalse(Files.exists(Path.of("/dev/kvm")), "/dev/kvm exists here: the KVM-missing message cannot be seen");
        HostProbe probe = new HostProbe(RecordingFake.launcher(), RecordingFake.library().toString(), Map.of());
        assertEquals(Optional.of("KVM not usable: /dev/kvm: No such file or directory"), probe.unavailableReason());
    }

    @Test
    void bothMissingAreNamedOnOneLine() {
        assumeFalse(Files.exists(Path.of("/dev/kvm")), "/dev/kvm exists here: the KVM-missing message cannot be seen");
        HostProbe probe = new HostProbe(RecordingFake.launcher(), "libkrun-not-installed.so.1", Map.of());
        String why = probe.unavailableReason().orElseThrow();
        assertTrue(why.startsWith("libkrun.so.1 not found: libkrun-not-installed.so.1: "), why);
        assertTrue(why.endsWith("; KVM not usable: /dev/kvm: No such file or directory"), why);
    }

    @Test
    void usableLibraryAndSkippedKvmCheckIsAvailable() throws Exception {
        HostProbe probe = new HostProbe(RecordingFake.launcher(), RecordingFake.library().toString(),
                Map.of(RecordingFake.SKIP_KVM, "1"));
        assertEquals(Optional.empty(), probe.unavailableReason());
    }

    @Test
    void launcherThatCannotRunIsNamed() {
        HostProbe probe = new HostProbe(tmp.resolve("no-launcher"), "libkrun.so.1", Map.of());
        String why = probe.unavailableReason().orElseThrow();
        assertTrue(why.startsWith("cannot run the libkrun launcher " + tmp.resolve("no-launcher")), why);
    }

    @Test
    void backendReportsTheProbeThenTheKernel() throws Exception {
        LibkrunVmm missing = new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                tmp.resolve("libkrun.so.1").toString(), null, "elf", null, tmp, 1, Map.of(RecordingFake.SKIP_KVM, "1")));
        assertFalse(missing.available());
        assertTrue(missing.unavailableReason().orElseThrow().startsWith("libkrun.so.1 not found: "));
        LibkrunVmm noKernel = new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                RecordingFake.library().toString(), null, "elf", null, tmp, 1, Map.of(RecordingFake.SKIP_KVM, "1")));
        assertEquals(Optional.of("no guest kernel: set kernel in io.msb.vmm.libkrun"), noKernel.unavailableReason());
        Path kernel = Files.writeString(tmp.resolve("vmlinux"), "k");
        LibkrunVmm ready = new LibkrunVmm(new LibkrunVmm.Settings(RecordingFake.launcher(),
                RecordingFake.library().toString(), kernel, "elf", null, tmp, 1, Map.of(RecordingFake.SKIP_KVM, "1")));
        assertTrue(ready.available());
    }
}
