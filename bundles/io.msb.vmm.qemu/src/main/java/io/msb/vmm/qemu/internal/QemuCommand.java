package io.msb.vmm.qemu.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.msb.api.InvalidConfigException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.VmSpec;

/**
 * The QEMU command line for one sandbox VM (decision 0801): microvm, direct kernel boot, virtio-mmio devices
 * only, nothing QEMU would add by default, no network unless one is attached.
 */
final class QemuCommand {
    /**
     * Serial console for the kernel log; panic=-1 + -no-reboot make a panicking guest end the QEMU process, through a
     * triple-fault reset (reboot=t): msb's own kernel has no keyboard controller driver and never got past reboot=k's
     * reset attempt, and Debian's took 3.7 s with it against 1.7 s (decision 1923).
     * nokaslr: the kernel runs where it was loaded instead of decompressing to a random place, which leaves ~20 MiB
     * fewer guest pages touched for good (decision 1911); the guest kernel is no boundary in a sandbox, the VM is.
     * tsc=reliable: no clocksource watchdog, microvm has no second clock to check the TSC against.
     */
    static final List<String> BASE_KERNEL_ARGS = List.of("console=ttyS0", "reboot=t", "panic=-1", "quiet",
            "8250.nr_uarts=1", "i8042.noaux", "i8042.nomux", "i8042.nopnp", "i8042.dumbkbd", "nokaslr",
            "tsc=reliable");
    static final int MAX_CMDLINE = 2047;
    /** Room kept for the arguments the backend adds per host, e.g. the TSC frequency under TCG. */
    static final int HOST_ARGS_RESERVE = 64;
    /** sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;
    private static final Set<String> DISK_FORMATS = Set.of("raw", "qcow2");
    private static final Pattern KERNEL_ARG = Pattern.compile("[\\x21-\\x7e]+");
    private static final Pattern SHARE_TAG = Pattern.compile("[A-Za-z0-9_-]{1,31}");
    /**
     * virtio-9p's file access (decision 1201): QEMU touches the shared files as the user it runs as (msb-qemu when
     * the server is root, 0811) and keeps the host's owners and modes as they are; {@code none} is passthrough
     * without the privileges passthrough's chown needs, so a guest's chown/chmod of a file QEMU does not own is
     * ignored rather than failing the call.
     */
    static final String SHARE_SECURITY_MODEL = "none";
    /**
     * The guest RAM backend's id: microvm's own name for its RAM block, so a VM state saved with QEMU's default
     * backend restores into this one (QEMU matches RAM blocks by name and size).
     */
    static final String RAM_ID = "microvm.ram";
    private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

    /** Where a VM's files live inside its state directory. */
    record Paths(Path stateDir, Path vmSocket, Path qmpSocket, Path consoleFifo, Path kernelLog, Path qemuLog,
            Path stateFile, Path initramfs) {
        static Paths of(Path stateDir) {
            Path logs = stateDir.resolve("logs");
            return new Paths(stateDir, stateDir.resolve("vm.sock"), stateDir.resolve("qmp.sock"),
                    stateDir.resolve("console.fifo"), logs.resolve("kernel.log"), logs.resolve("qemu.log"),
                    stateDir.resolve("vm.properties"), stateDir.resolve("initramfs.cpio"));
        }
    }

    /**
     * A file the launcher opens on a fixed descriptor for QEMU (decision 1246): QEMU running as another user cannot
     * open our paths itself, and it must reopen a writable disk read-only when it saves the VM's state.
     */
    record Inherited(int fd, boolean writable, Path path) {
    }

    /**
     * The descriptor of a VM state QEMU restores from ({@code -incoming fd:5}); the writable root disks follow. The
     * launcher is POSIX sh, whose redirections name descriptors 0 to 9 only, and uses 0 to 3 itself.
     */
    static final int INCOMING_FD = 5;
    private static final int FIRST_DISK_FD = 6;

    private QemuCommand() {
    }

    /**
     * What the launcher opens for {@link #build}'s command line: the incoming state, then each writable root disk
     * (the upper) twice. Mount disks stay paths: a VM with mounts is never saved (decision 1246).
     */
    static List<Inherited> inherited(VmSpec spec, Path incoming) {
        List<Inherited> files = new ArrayList<>();
        if (incoming != null) {
            files.add(new Inherited(INCOMING_FD, false, incoming));
        }
        List<VmSpec.Disk> writable = spec.disks().stream().filter(d -> !d.readOnly()).toList();
        for (int k = 0; k < writable.size(); k++) {
            files.add(new Inherited(FIRST_DISK_FD + 2 * k, false, writable.get(k).path()));
            files.add(new Inherited(FIRST_DISK_FD + 2 * k + 1, true, writable.get(k).path()));
        }
        return files;
    }

    /**
     * Checks everything QEMU and the kernel would otherwise reject less clearly; CPUs and memory were checked by the
     * runtime against {@link QemuVmm#capabilities()}.
     */
    static void validate(VmSpec spec) {
        if (spec.sandboxName() == null || spec.sandboxName().isBlank()) {
            throw invalid("sandboxName", "must not be empty");
        }
        if (spec.sandboxName().getBytes(StandardCharsets.UTF_8).length > 128) {
            throw invalid("sandboxName", "is longer than 128 bytes");
        }
        if (spec.stateDir() == null || !spec.stateDir().isAbsolute()) {
            throw invalid("stateDir", "must be an absolute path");
        }
        for (int i = 0; i < spec.kernelArgs().size(); i++) {
            String a = spec.kernelArgs().get(i);
            if (a == null || !KERNEL_ARG.matcher(a).matches()) {
                throw invalid("kernelArgs[" + i + "]",
                        "must be non-empty printable ASCII without spaces");
            }
        }
        BootstrapArchive.find(spec.kernelArgs());
        if (cmdline(spec, List.of()).length() + HOST_ARGS_RESERVE > MAX_CMDLINE) {
            throw invalid("kernelArgs", "make a kernel command line longer than "
                    + MAX_CMDLINE + " bytes");
        }
        checkDisks("disks", spec.disks());
        checkDisks("mountDisks", spec.mountDisks());
        java.util.Set<String> tags = new java.util.HashSet<>();
        for (int i = 0; i < spec.shares().size(); i++) {
            VmSpec.Share share = spec.shares().get(i);
            if (!SHARE_TAG.matcher(share.tag()).matches() || !tags.add(share.tag())) {
                throw invalid("shares[" + i + "].tag", "must be 1 to 31 letters, digits, '_' or '-', unique, is '"
                        + share.tag() + "'");
            }
            if (!share.path().isAbsolute() || !java.nio.file.Files.isDirectory(share.path())) {
                throw invalid("shares[" + i + "].path", "is not an absolute path of a directory: " + share.path());
            }
        }
        Paths p = Paths.of(spec.stateDir());
        for (Path sock : List.of(p.vmSocket(), p.qmpSocket())) {
            if (sock.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
                throw invalid("stateDir", "is too long for a UNIX socket path (" + sock
                        + " exceeds " + MAX_SOCKET_PATH + " bytes)");
            }
        }
        if (spec.network() != null) {
            netdev(spec.network());
        }
    }

    private static void checkDisks(String field, List<VmSpec.Disk> disks) {
        for (int i = 0; i < disks.size(); i++) {
            VmSpec.Disk d = disks.get(i);
            if (!DISK_FORMATS.contains(d.format())) {
                throw invalid(field + "[" + i + "].format", "must be raw or qcow2, is '" + d.format() + "'");
            }
            if (!java.nio.file.Files.isRegularFile(d.path())) {
                throw invalid(field + "[" + i + "].path", "is not a regular file: " + d.path());
            }
        }
    }

    /** The kernel command line: never the bootstrap, which travels in the initramfs ({@link BootstrapArchive}). */
    static String cmdline(VmSpec spec, List<String> hostArgs) {
        List<String> args = new ArrayList<>(BASE_KERNEL_ARGS);
        args.addAll(hostArgs);
        spec.kernelArgs().stream().filter(a -> !BootstrapArchive.isBootstrap(a)).forEach(args::add);
        return String.join(" ", args);
    }

    /**
     * QEMU's seccomp filter (decision 0810): no obsolete calls, no fork/exec (nothing here spawns helpers), no
     * scheduling or priority changes. Set*id calls only stay allowed for a QEMU that drops to another user,
     * because QEMU 7.2 installs the filter before it switches; afterwards it holds no capability and runs with
     * no_new_privs, so it cannot get privileges back anyway.
     */
    static String sandbox(boolean dropsToUser) {
        return "on,obsolete=deny,spawn=deny,resourcecontrol=deny,elevateprivileges=" + (dropsToUser ? "allow" : "deny");
    }

    /**
     * @param hostArgs kernel arguments that describe this host to the guest (see {@link HostTsc})
     * @param runAs user QEMU switches to once it opened its files (kernel, initramfs, disks, sockets), or null
     *        to keep the caller's
     */
    static List<String> build(String qemu, VmSpec spec, Path kernel, Path initramfs, Accel accel,
            List<String> hostArgs, String runAs) {
        return build(qemu, spec, kernel, initramfs, accel, hostArgs, runAs, false);
    }

    /** @param incoming QEMU restores a saved state from {@link #INCOMING_FD} instead of booting */
    static List<String> build(String qemu, VmSpec spec, Path kernel, Path initramfs, Accel accel,
            List<String> hostArgs, String runAs, boolean incoming) {
        Paths p = Paths.of(spec.stateDir());
        List<String> a = new ArrayList<>(List.of(qemu,
                "-name", opt(spec.sandboxName()),
                // No option ROMs and no ISA devices beyond the serial port and the RTC (the guest's wall clock): less
                // to emulate, faster boot. Without PIT and PIC the kernel skips their calibration (decision 1910).
                "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=off,pic=off,memory-backend=" + RAM_ID,
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-sandbox", sandbox(runAs != null),
                "-smp", Integer.toString(spec.cpus()),
                "-m", spec.memoryMib() + "M",
                // Guest RAM in a memfd rather than anonymous memory that QEMU marks MADV_HUGEPAGE: with the host's
                // transparent huge pages each guest page touched once kept a whole 2 MiB resident (decision 1915).
                "-object", "memory-backend-memfd,id=" + RAM_ID + ",size=" + spec.memoryMib() + "M"));
        if (runAs != null) {
            a.addAll(List.of("-runas", runAs));
        }
        a.addAll(accel.qemuArgs());
        a.addAll(List.of("-kernel", kernel.toString(), "-append", cmdline(spec, hostArgs)));
        if (initramfs != null) {
            a.addAll(List.of("-initrd", initramfs.toString()));
        }
        a.addAll(List.of(
                // A FIFO drained by the launcher into logs/kernel.log, capped: the guest must not fill the host's disk.
                "-chardev", "file,id=console,path=" + opt(p.consoleFifo().toString()),
                "-serial", "chardev:console",
                "-chardev", "socket,id=agent,path=" + opt(p.vmSocket().toString()) + ",server=on,wait=off",
                "-device", "virtio-serial-device,max_ports=2",
                "-device", "virtserialport,chardev=agent,name=agent",
                "-chardev", "socket,id=qmp,path=" + opt(p.qmpSocket().toString()) + ",server=on,wait=off",
                "-mon", "chardev=qmp,mode=control",
                // The guest hands pages it frees back to the host (decision 1913): QEMU discards them, so an idle
                // sandbox's RSS drops again after a burst of memory use. It never inflates: the guest keeps its size.
                "-device", "virtio-balloon-device,free-page-reporting=on"));
        int[] fdset = {0};
        for (int i = 0; i < spec.disks().size(); i++) {
            // The serial lets the guest find a disk by role whatever order the buses enumerate in.
            a.addAll(drive("disk" + i, spec.disks().get(i), "msb-disk" + i, fdset));
        }
        for (int i = 0; i < spec.mountDisks().size(); i++) {
            a.addAll(drive("mnt" + i, spec.mountDisks().get(i), VmSpec.mountDiskSerial(i), null));
        }
        for (int i = 0; i < spec.shares().size(); i++) {
            VmSpec.Share share = spec.shares().get(i);
            // multidevs=remap: a share spanning file systems keeps unique inode numbers in the guest
            a.addAll(List.of("-fsdev", "local,id=fs" + i + ",path=" + opt(share.path().toString())
                    + ",security_model=" + SHARE_SECURITY_MODEL + ",multidevs=remap"
                    + (share.readOnly() ? ",readonly=on" : ""),
                    "-device", "virtio-9p-device,fsdev=fs" + i + ",mount_tag=" + share.tag()));
        }
        if (spec.network() != null) {
            a.addAll(netdev(spec.network()));
        }
        if (incoming) {
            a.addAll(List.of("-incoming", "fd:" + INCOMING_FD));
        }
        return List.copyOf(a);
    }

    /**
     * A disk by path, or, for a writable root disk ({@code fdset} not null), through an fd set of the two descriptors
     * {@link #inherited} gives it (set {@code k+1} for the k-th), so that QEMU can reopen it read-only and back when
     * it saves its state (decision 1246). Locking is off for those: the runtime gives a sandbox's disks to one VM,
     * and QEMU's own lock bytes on the read-only descriptor would block its return to read-write.
     */
    private static List<String> drive(String id, VmSpec.Disk d, String serial, int[] fdset) {
        List<String> device = List.of("-device", "virtio-blk-device,drive=" + id + ",serial=" + serial);
        List<String> a = new ArrayList<>();
        if (d.readOnly() || fdset == null) {
            a.addAll(List.of("-drive", "id=" + id + ",if=none,file=" + opt(d.path().toString()) + ",format="
                    + d.format() + (d.readOnly() ? ",readonly=on" : "")));
        } else {
            int set = ++fdset[0];
            int fd = FIRST_DISK_FD + 2 * (set - 1);
            a.addAll(List.of("-add-fd", "fd=" + fd + ",set=" + set, "-add-fd", "fd=" + (fd + 1) + ",set=" + set,
                    "-drive", "id=" + id + ",if=none,file=/dev/fdset/" + set + ",format=" + d.format()
                            + ",file.locking=off"));
        }
        a.addAll(device);
        return a;
    }

    /**
     * Supported attachments: {@code stream}, a UNIX stream socket on which QEMU listens and the network service
     * connects (decision 0830): the guest boots without it, and a restarted service connects again.
     */
    static List<String> netdev(NetworkAttachment net) {
        Map<String, String> params = net.parameters();
        if (!"stream".equals(net.kind())) {
            throw new UnsupportedFeatureException("the qemu backend cannot attach a network of kind '" + net.kind()
                    + "' (supported: stream)");
        }
        String path = params.get("path");
        if (path == null || !Path.of(path).isAbsolute()) {
            throw invalid("network.parameters.path", "must be an absolute UNIX socket path");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw invalid("network.parameters.path", "is longer than " + MAX_SOCKET_PATH + " bytes (a UNIX socket"
                    + " path's limit)");
        }
        String mac = params.getOrDefault("mac", "");
        if (!mac.isEmpty() && !MAC.matcher(mac).matches()) {
            throw invalid("network.parameters.mac", "must look like 02:00:00:00:00:01");
        }
        return List.of("-netdev", "stream,id=net0,server=on,addr.type=unix,addr.path=" + opt(path),
                "-device", "virtio-net-device,netdev=net0" + (mac.isEmpty() ? "" : ",mac=" + mac));
    }

    /** The platform's wording: the message names the field, then the rule it broke. */
    static InvalidConfigException invalid(String field, String rule) {
        return new InvalidConfigException(field, field + " " + rule);
    }

    /** QEMU splits option values at commas; a doubled comma is a literal one. */
    static String opt(String value) {
        return value.replace(",", ",,");
    }
}
