package io.msb.vmm.qemu.internal;

import java.nio.file.Path;
import java.util.Locale;

import io.msb.api.MsbException;

/** Which kernel of the kernel cache boots when no kernel path is configured (attribute guestKernel, decision 1900). */
public enum GuestKernelChoice {
    /** msb's own kernel when a complete build of the current fragment is there, else Debian's cloud kernel. */
    AUTO,
    /** msb's own kernel only. */
    MSB,
    /** Debian's cloud kernel (with its modules). */
    DEBIAN;

    static final String HOW_TO_BUILD = "run `msb-server kernel build` (or native/guest/build-kernel.sh "
            + "$MSB_HOME/kernel)";

    public static GuestKernelChoice parse(String field, String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (GuestKernelChoice c : values()) {
            if (c.name().toLowerCase(Locale.ROOT).equals(v)) {
                return c;
            }
        }
        throw QemuCommand.invalid(field, "must be auto, msb or debian, is '" + value + "'");
    }

    /** The kernel this choice boots from {@code kernelCache}; Debian's is fetched when missing, msb's never built. */
    GuestKernel locate(Path kernelCache) {
        if (this == DEBIAN) {
            return KernelLocator.debianCloud(kernelCache);
        }
        var built = KernelLocator.msbBuild(kernelCache);
        if (built.isPresent()) {
            return KernelLocator.msb(built.get());
        }
        if (this == MSB) {
            throw new MsbException("guestKernel is msb (io.msb.vmm.qemu) but " + kernelCache + " has no complete"
                    + " build of this version's msb-kernel.config (msb-*-" + KernelLocator.buildHash() + "): "
                    + HOW_TO_BUILD + ", or set guestKernel to auto or debian");
        }
        return KernelLocator.debianCloud(kernelCache);
    }
}
