package io.msb.vmm.qemu.internal;

import java.nio.file.Path;

/**
 * A kernel image and, when its drivers are modules, the {@code lib/modules/<release>} directory they live in.
 *
 * @param image the bzImage passed to {@code -kernel}
 * @param modulesDir the modules of that kernel, or null when everything needed is built in
 */
record GuestKernel(Path image, Path modulesDir) {
}
