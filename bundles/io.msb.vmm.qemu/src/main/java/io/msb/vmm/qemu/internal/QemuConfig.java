package io.msb.vmm.qemu.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(id = QemuVmmComponent.PID, name = "msb QEMU VMM backend",
        description = "Boots sandbox VMs with QEMU's microvm machine (direct kernel boot, virtio-mmio).")
@interface QemuConfig {
    @AttributeDefinition(name = "QEMU binary", description = "Name on PATH or absolute path.")
    String qemu() default "qemu-system-x86_64";

    @AttributeDefinition(name = "Kernel", required = false,
            description = "Kernel image; empty = the one guestKernel picks under $MSB_HOME/kernel.")
    String kernel() default "";

    @AttributeDefinition(name = "Guest kernel",
            description = "Used when no kernel path is set. auto = msb's own kernel (built by build-kernel.sh into"
                    + " $MSB_HOME/kernel for this version's msb-kernel.config) when present, else Debian's cloud kernel;"
                    + " msb = only msb's own (a start fails until `msb-server kernel build` made it); debian = Debian's.",
            options = {@Option(value = "auto", label = "auto"), @Option(value = "msb", label = "msb's own"),
                @Option(value = "debian", label = "Debian's cloud kernel")})
    String guestKernel() default "auto";

    @AttributeDefinition(name = "Kernel build",
            description = "background = with guestKernel auto and no msb kernel built yet, the server builds one"
                    + " (nice, one at a time, once per start) and boots it once complete; manual = only"
                    + " `msb-server kernel build` does (test harnesses use this).",
            options = {@Option(value = "background", label = "background"), @Option(value = "manual", label = "manual")})
    String kernelBuild() default "background";

    @AttributeDefinition(name = "Kernel modules", required = false,
            description = "lib/modules/<release> of a configured kernel; empty = its drivers are built in.")
    String kernelModules() default "";

    @AttributeDefinition(name = "Acceleration", description = "auto probes whether KVM really runs a guest.",
            options = {@Option(value = "auto", label = "auto"), @Option(value = "kvm", label = "KVM"),
                @Option(value = "tcg", label = "TCG (emulation)")})
    String accel() default "auto";

    @AttributeDefinition(name = "Home", required = false, description = "Empty = $MSB_HOME, msb.home or ~/.msb.")
    String home() default "";

    @AttributeDefinition(name = "Agent binary", required = false,
            description = "agentd used as /init when the runtime gives no initramfs; empty = the io.msb:agentd resource.")
    String agentd() default "";

    @AttributeDefinition(name = "QEMU user", required = false,
            description = "When the server runs as root, QEMU switches to this user (no capabilities) once it has"
                    + " opened its files; the start fails if the user does not exist. Empty = QEMU runs as root."
                    + " A server that is not root runs QEMU as itself either way.")
    String runAs() default QemuVmm.Settings.DEFAULT_RUN_AS;
}
