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

/** Against the real QEMU backend in a temporary MSB_HOME: the check reports what the backend answers. */
class BackendCheckTest {
    @TempDir
    Path home;

    private QemuVmm qemu(String binary, Accel accel) {
        return new QemuVmm(new QemuVmm.Settings(binary, home, null, null, accel, null));
    }

    private static void assumeQemu() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")), "qemu-system-x86_64 is missing");
    }

    @Test
    void configuredTcgIsAWarningThatSaysWhy() {
        assumeQemu();
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64", Accel.TCG)));
        assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("qemu starts VMs under TCG emulation (much slower): accel=tcg is configured in io.msb.vmm.qemu"),
                r.toString());
    }

    @Test
    void configuredKvmIsOk() {
        assumeQemu();
        Result r = BackendCheck.assess(List.of(qemu("qemu-system-x86_64", Accel.KVM)));
        assertEquals(Result.Status.OK, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("qemu starts VMs with KVM"), r.toString());
    }

    @Test
    void onThisHostTheCheckSaysWhatTheBackendKnows() {
        assumeQemu();
        QemuVmm qemu = qemu("qemu-system-x86_64", Accel.AUTO);
        Result r = BackendCheck.assess(List.of(qemu));
        if (qemu.accelerationReason().isPresent()) {
            assertEquals(Result.Status.WARN, r.getStatus(), r.toString());
            assertTrue(r.toString().contains("TCG emulation (much slower): " + qemu.accelerationReason().get()), r.toString());
        } else {
            assertEquals(Result.Status.OK, r.getStatus(), r.toString());
            assertTrue(r.toString().contains("the first boot confirms KVM"), r.toString());
        }
    }

    @Test
    void noAvailableBackendIsCriticalNamingEachReason() {
        Result r = BackendCheck.assess(List.of(qemu(home.resolve("no-such-qemu").toString(), Accel.AUTO)));
        assertEquals(Result.Status.CRITICAL, r.getStatus(), r.toString());
        assertTrue(r.toString().contains("no VMM backend can start a VM: qemu: "), r.toString());
    }

    @Test
    void noBackendAtAllIsCritical() {
        Result r = BackendCheck.assess(List.of());
        assertEquals(Result.Status.CRITICAL, r.getStatus());
        assertTrue(r.toString().contains("no VMM backend is registered"), r.toString());
    }
}
