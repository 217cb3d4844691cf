package io.msb.vmm.qemu.internal;

import java.nio.file.Path;
import java.util.List;

import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;

/**
 * Run in a child JVM by {@link QemuVmmBootTest}: starts an attached and a detached VM, prints
 * {@code <attachedPid> <detachedPid>}, then waits to be killed.
 */
public final class VmOwnerMain {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path kernel = Path.of(args[1]);
        Path initramfs = Path.of(args[2]);
        QemuVmm vmm = new QemuVmm(new QemuVmm.Settings("qemu-system-x86_64", home, kernel, null,
                Accel.parse("accel", args[3]), null));
        VmHandle attached = vmm.start(spec("owner-attached", Path.of(args[4]), kernel, initramfs, false));
        VmHandle detached = vmm.start(spec("owner-detached", Path.of(args[5]), kernel, initramfs, true));
        System.out.println(attached.pid() + " " + detached.pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private static VmSpec spec(String name, Path stateDir, Path kernel, Path initramfs, boolean detached) {
        return new VmSpec(name, stateDir, kernel, initramfs, List.of("msbtest=sleep"), List.of(), 1, 256, detached,
                null);
    }
}
