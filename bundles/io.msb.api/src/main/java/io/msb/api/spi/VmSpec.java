package io.msb.api.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link VmmBackend} needs to boot one sandbox VM.
 *
 * @param sandboxName the sandbox the VM belongs to
 * @param stateDir {@code $MSB_HOME/sandboxes/<name>}: sockets and logs go here
 * @param kernel kernel image, or null for the backend's configured kernel
 * @param initramfs initramfs carrying the agent as {@code /init}, or null for one the backend builds from its
 *        configured agent binary and the kernel's modules
 * @param kernelArgs extra kernel command line arguments
 * @param disks block devices in order (root first, then the writable upper)
 * @param cpus virtual CPUs
 * @param memoryMib guest memory
 * @param detached the VM must outlive the process that starts it
 * @param network network attachment, or null for none
 */
public record VmSpec(String sandboxName, Path stateDir, Path kernel, Path initramfs, List<String> kernelArgs,
        List<Disk> disks, int cpus, int memoryMib, boolean detached, NetworkAttachment network) {

    /** A block device given to the guest. */
    public record Disk(Path path, boolean readOnly, String format) {
        public Disk {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(format, "format");
        }
    }

    public VmSpec {
        kernelArgs = List.copyOf(kernelArgs);
        disks = List.copyOf(disks);
    }
}
