package io.msb.health.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.hc.api.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.msb.vmm.qemu.internal.Accel;
import io.msb.vmm.qemu.internal.QemuVmm;

/** Against the real QEMU backend; a temporary file stands in for a usable /dev/kvm where the host has none. */
class BackendCheckTest {
    @TempDir
    Path home;

    private QemuVmm qemu(String binary) {
        return new QemuVmm(new QemuVmm.Settings(binary, home, null, null, Accel.AUTO, null));
    }

    private Path verdicts() {
        return home.resolve(BackendCheck.PROBE_VERDICTS);
    }

    @Test
    void aFailedKvmProbeIsAWarningThatSaysWhy() throws Exception {
        assumeQemu();
        Path device = Files.createFile(home.resolve("kvm"));
        Files.createDirectories(verdicts().getParent());
        Files.writeString(verdicts(), "abc=a KVM test boot failed (QEMU exit 134)\\: failed to set MSR 0x10a\n");
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64")), device, verdicts());
        assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("TCG emulation (much slower): the KVM probe failed: a KVM test boot failed (QEMU exit 134): failed to set MSR"),
                r.toString());
        Files.writeString(verdicts(), "abc=ok\n");
        assertEquals(Result.Status.OK, BackendCheck.assess(List.of(qemu("qemu-system-x86_64")), device, verdicts()).getStatus());
    }

    private static void assumeQemu() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "qemu-system-x86_64 is missing");
    }

    @Test
    void withoutKvmTheTcgFallbackIsAWarningThatSaysWhy() {
        assumeQemu();
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64")), home.resolve("kvm"), verdicts());
        assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("TCG emulation") && r.toString().contains(home.resolve("kvm") + " is missing"),
                r.toString());
    }

    @Test
    void aUsableKvmDeviceIsOk() throws Exception {
        assumeQemu();
        Path device = Files.createFile(home.resolve("kvm"));
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64")), device, verdicts());
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
    }

    @Test
    void onThisHostTheCheckReportsWhatItFinds() {
        assumeQemu();
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64")), BackendCheck.KVM, verdicts());
        boolean noKvm = BackendCheck.kvmUnusable(BackendCheck.KVM).isPresent();
        assertEquals(noKvm ? Result.Status.WARN : Result.Status.OK, r.getStatus(), r.toString());
    }

    @Test
    void noAvailableBackendIsCriticalNamingEachReason() {
        Result r = BackendCheck.assess(List.of(qemu(home.resolve("no-such-qemu").toString())), home.resolve("kvm"), verdicts());
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("no VMM backend can start a VM: qemu: "), r.toString());
    }

    @Test
    void noBackendAtAllIsCritical() {
        Result r = BackendCheck.assess(List.of(), home.resolve("kvm"), verdicts());
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertTrue(r.toString().contains("no VMM backend is registered"), r.toString());
    }
}
