package io.msb.vmm.libkrun.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import io.msb.api.InvalidConfigException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.VmSpec;

/**
 * The krun-launcher command line for one VM (decision 1741), and the checks of a {@link VmSpec} the launcher and
 * libkrun would otherwise reject less clearly. What libkrun cannot give this platform's guest is refused by name:
 * a network (libkrun connects to a network socket, the platform's network service does too), and shares and mount
 * disks (the guest agent mounts 9p shares, libkrun serves virtio-fs).
 */
final class LaunchCommand {
    /** hvc0 is libkrun's implicit console; panic=-1 makes a panicking guest end the VM (and the launcher). */
    static final List<String> BASE_KERNEL_ARGS = List.of("console=hvc0", "reboot=k", "panic=-1", "quiet");
    static final String BOOTSTRAP_ARGUMENT = "msb.bootstrap=";
    /** agentd's BOOTSTRAP_MAX and the launcher's limit. */
    static final int MAX_BOOTSTRAP = 1 << 20;
    /** The kernel's 2047 bytes less what libkrun appends (its KRUN_* words, "--"): the launcher's limit too. */
    static final int MAX_CMDLINE = 2031;
    /** sun_path holds 108 bytes including the terminating NUL. */
    static final int MAX_SOCKET_PATH = 107;
    static final long CONSOLE_CAP = 8L << 20;
    static final Set<String> KERNEL_FORMATS = Set.of("raw", "elf", "pe-gz", "image-bz2", "image-gz", "image-zstd");
    private static final Set<String> DISK_FORMATS = Set.of("raw", "qcow2");
    private static final Pattern KERNEL_ARG = Pattern.compile("[\\x21-\\x7e]+");

    /**
     * What the launcher needs besides the spec.
     *
     * @param agentd the agent binary for {@code /init}, used when the spec gives no initramfs
     */
    record Host(String libkrun, Path kernel, String kernelFormat, Path agentd, int logLevel) {
    }

    private LaunchCommand() {
    }

    static InvalidConfigException invalid(String field, String rule) {
        return new InvalidConfigException(field, field + " " + rule);
    }

    static void validate(VmSpec spec) {
        if (spec.sandboxName() == null || spec.sandboxName().isBlank()) {
            throw invalid("sandboxName", "must not be empty");
        }
        if (spec.stateDir() == null || !spec.stateDir().isAbsolute()) {
            throw invalid("stateDir", "must be an absolute path");
        }
        if (spec.network() != null) {
            throw new UnsupportedFeatureException("the libkrun backend cannot attach a network (decision 1744):"
                    + " disable the sandbox's network or use the qemu backend");
        }
        if (!spec.shares().isEmpty() || !spec.mountDisks().isEmpty()) {
            throw new UnsupportedFeatureException("the libkrun backend cannot mount volumes or host directories"
                    + " (decision 1744): remove the sandbox's mounts or use the qemu backend");
        }
        if (spec.cpus() < 1 || spec.cpus() > LibkrunVmm.MAX_CPUS) {
            throw invalid("cpus", "must be from 1 to " + LibkrunVmm.MAX_CPUS + ", is " + spec.cpus());
        }
        if (spec.memoryMib() < LibkrunVmm.MIN_MEMORY_MIB || spec.memoryMib() > LibkrunVmm.MAX_MEMORY_MIB) {
            throw invalid("memoryMib", "must be from " + LibkrunVmm.MIN_MEMORY_MIB + " to "
                    + LibkrunVmm.MAX_MEMORY_MIB + ", is " + spec.memoryMib());
        }
        for (int i = 0; i < spec.kernelArgs().size(); i++) {
            String a = spec.kernelArgs().get(i);
            if (a == null || !KERNEL_ARG.matcher(a).matches()) {
                throw invalid("kernelArgs[" + i + "]", "must be non-empty printable ASCII without spaces");
            }
        }
        bootstrap(spec.kernelArgs());
        if (cmdline(spec).length() > MAX_CMDLINE) {
            throw invalid("kernelArgs", "make a kernel command line longer than " + MAX_CMDLINE + " bytes");
        }
        if (spec.disks().size() > 10) {
            throw invalid("disks", "are more than 10");
        }
        for (int i = 0; i < spec.disks().size(); i++) {
            VmSpec.Disk d = spec.disks().get(i);
            if (!DISK_FORMATS.contains(d.format())) {
                throw invalid("disks[" + i + "].format", "must be raw or qcow2, is '" + d.format() + "'");
            }
            if (!d.path().isAbsolute() || !Files.isRegularFile(d.path())) {
                throw invalid("disks[" + i + "].path", "is not an absolute path of a regular file: " + d.path());
            }
        }
        Path socket = VmFiles.of(spec.stateDir()).agentSocket();
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw invalid("stateDir", "is too long for a UNIX socket path (" + socket + " exceeds "
                    + MAX_SOCKET_PATH + " bytes)");
        }
    }

    /**
     * The bootstrap the runtime passes as {@code msb.bootstrap=<base64url CBOR>}, decoded, or null. It never goes on
     * the kernel command line (every guest process could read it there): the launcher puts it into the initramfs.
     */
    static byte[] bootstrap(List<String> kernelArgs) {
        byte[] found = null;
        for (int i = 0; i < kernelArgs.size(); i++) {
            String arg = kernelArgs.get(i);
            if (!arg.startsWith(BOOTSTRAP_ARGUMENT)) {
                continue;
            }
            String field = "kernelArgs[" + i + "]";
            if (found != null) {
                throw invalid(field, "is a second " + BOOTSTRAP_ARGUMENT + " argument; give one");
            }
            String b64 = arg.substring(BOOTSTRAP_ARGUMENT.length()).replace('+', '-').replace('/', '_')
                    .replace("=", "");
            if ((long) b64.length() * 3 / 4 > MAX_BOOTSTRAP) {
                throw invalid(field, "carries a bootstrap larger than " + MAX_BOOTSTRAP + " bytes");
            }
            try {
                found = Base64.getUrlDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw invalid(field, "must be " + BOOTSTRAP_ARGUMENT + "<base64 CBOR>: " + e.getMessage());
            }
            if (found.length == 0) {
                throw invalid(field, "carries an empty bootstrap");
            }
        }
        return found;
    }

    static String cmdline(VmSpec spec) {
        List<String> args = new ArrayList<>(BASE_KERNEL_ARGS);
        spec.kernelArgs().stream().filter(a -> !a.startsWith(BOOTSTRAP_ARGUMENT)).forEach(args::add);
        return String.join(" ", args);
    }

    /**
     * @param bootstrap whether the spec carries a bootstrap, which the caller wrote to {@link VmFiles#bootstrap()}
     *        for the launcher to read and delete
     */
    static List<String> build(Path launcher, Host host, VmSpec spec, boolean bootstrap) {
        VmFiles files = VmFiles.of(spec.stateDir());
        Path kernel = spec.kernel() != null ? spec.kernel() : host.kernel();
        List<String> a = new ArrayList<>(List.of(launcher.toString(), "--libkrun", host.libkrun(),
                "--log-level", Integer.toString(host.logLevel()),
                "--cpus", Integer.toString(spec.cpus()), "--memory", Integer.toString(spec.memoryMib()),
                "--kernel", kernel.toString(), "--kernel-format", host.kernelFormat()));
        if (spec.initramfs() != null) {
            a.addAll(List.of("--initramfs", spec.initramfs().toString()));
        } else {
            a.addAll(List.of("--agent", host.agentd().toString()));
        }
        if (bootstrap) {
            a.addAll(List.of("--bootstrap", files.bootstrap().toString()));
        }
        a.addAll(List.of("--cmdline", cmdline(spec)));
        for (int i = 0; i < spec.disks().size(); i++) {
            // The serial (virtio-blk ID) by which agentd finds the root (0) and its upper (1), as with QEMU.
            VmSpec.Disk d = spec.disks().get(i);
            a.addAll(List.of("--disk", "msb-disk" + i + "," + d.format() + "," + (d.readOnly() ? "ro" : "rw") + ","
                    + d.path()));
        }
        a.addAll(List.of("--agent-socket", files.agentSocket().toString(),
                "--console-log", files.consoleLog().toString(), "--console-cap", Long.toString(CONSOLE_CAP),
                "--lifetime", spec.detached() ? "detached" : "attached"));
        return List.copyOf(a);
    }
}
