package io.msb.vmm.libkrun.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

@ObjectClassDefinition(id = LibkrunVmmComponent.PID, name = "msb libkrun VMM backend",
        description = "Boots sandbox VMs with libkrun (KVM only), one krun-launcher process per VM.")
@interface LibkrunConfig {
    @AttributeDefinition(name = "libkrun library",
            description = "What the launcher dlopens: a soname looked up by the dynamic linker, or an absolute path.")
    String libkrun() default "libkrun.so.1";

    @AttributeDefinition(name = "Kernel", required = false,
            description = "Guest kernel image (ELF vmlinux by default) with virtio_mmio, virtio_console, virtio_blk,"
                    + " erofs, ext4 and overlay built in: the initramfs carries no modules. Required; empty = the"
                    + " backend reports itself unavailable.")
    String kernel() default "";

    @AttributeDefinition(name = "Kernel format", description = "The kernel image's format as libkrun names it.",
            options = {@Option(value = "elf", label = "ELF (vmlinux)"), @Option(value = "raw", label = "raw"),
                @Option(value = "pe-gz", label = "PE + gzip"), @Option(value = "image-bz2", label = "Image + bzip2"),
                @Option(value = "image-gz", label = "Image + gzip"),
                @Option(value = "image-zstd", label = "Image + zstd")})
    String kernelFormat() default "elf";

    @AttributeDefinition(name = "Launcher", required = false,
            description = "krun-launcher binary; empty = the one shipped in this bundle, extracted under $MSB_HOME.")
    String launcher() default "";

    @AttributeDefinition(name = "Agent binary", required = false,
            description = "agentd used as /init when the runtime gives no initramfs; empty = the one in this bundle.")
    String agentd() default "";

    @AttributeDefinition(name = "libkrun log level", description = "0 off, 1 errors ... 5 trace; to logs/krun.log.")
    int logLevel() default 1;

    @AttributeDefinition(name = "msb home", required = false,
            description = "Where the bundled launcher and agent are extracted (cache/libkrun); empty = $MSB_HOME,"
                    + " msb.home or ~/.msb.")
    String home() default "";
}
