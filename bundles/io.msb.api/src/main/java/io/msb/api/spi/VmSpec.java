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
 * @param shares host directories the guest mounts by tag (virtio-9p with QEMU)
 * @param mountDisks disk images the guest mounts; the backend gives disk {@code i} the serial
 *        {@link #mountDiskSerial(int) mountDiskSerial(i)}, by which the guest finds it
 */
public record VmSpec(String sandboxName, Path stateDir, Path kernel, Path initramfs, List<String> kernelArgs,
        List<Disk> disks, int cpus, int memoryMib, boolean detached, NetworkAttachment network, List<Share> shares,
        List<Disk> mountDisks) {
    /** A disk image attached for a mount carries this serial prefix; the root and its upper never do. */
    public static final String MOUNT_DISK_SERIAL = "msb-mnt";

    /**
     * A host directory shared with the guest.
     *
     * @param tag what the guest mounts it by: 1 to 31 letters, digits, {@code _} or {@code -}
     * @param path the host directory, absolute and resolved
     * @param readOnly the backend refuses writes (the guest also mounts it read-only)
     */
    public record Share(String tag, Path path, boolean readOnly) {
        public Share {
            Objects.requireNonNull(tag, "tag");
            Objects.requireNonNull(path, "path");
        }
    }

    /** The serial of {@code mountDisks[i]}. */
    public static String mountDiskSerial(int i) {
        return MOUNT_DISK_SERIAL + i;
    }

    /** A VM without shares or mount disks (the form before 2.4). */
    public VmSpec(String sandboxName, Path stateDir, Path kernel, Path initramfs, List<String> kernelArgs,
            List<Disk> disks, int cpus, int memoryMib, boolean detached, NetworkAttachment network) {
        this(sandboxName, stateDir, kernel, initramfs, kernelArgs, disks, cpus, memoryMib, detached, network, List.of(),
                List.of());
    }

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
        shares = shares == null ? List.of() : List.copyOf(shares);
        mountDisks = mountDisks == null ? List.of() : List.copyOf(mountDisks);
    }
}
