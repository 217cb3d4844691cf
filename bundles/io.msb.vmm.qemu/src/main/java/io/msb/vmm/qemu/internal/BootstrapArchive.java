package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Delivers the guest bootstrap without any command line (decision 0240). The runtime hands it over as the kernel
 * argument {@code msb.bootstrap=<base64url(CBOR)>} (decision 0203), but every local user can read QEMU's command
 * line in {@code /proc/PID/cmdline}, every guest process the kernel's in {@code /proc/cmdline}, and the kernel's
 * holds only 2 KiB. So the backend takes that argument off and appends a second cpio archive holding
 * {@code /msb/bootstrap.cbor} to a private copy of the VM's initramfs (the kernel unpacks concatenated archives;
 * agentd reads the file and deletes it). The copy is created 0600 and removed once QEMU has loaded it.
 */
final class BootstrapArchive {
    static final String ARGUMENT = "msb.bootstrap=";
    static final String FILE = "msb/bootstrap.cbor";
    /** agentd's BOOTSTRAP_MAX: the most CBOR bytes it reads. */
    static final int MAX_BYTES = 1 << 20;
    static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private BootstrapArchive() {
    }

    static boolean isBootstrap(String kernelArg) {
        return kernelArg != null && kernelArg.startsWith(ARGUMENT);
    }

    /**
     * The bootstrap among the kernel arguments, decoded, or null when there is none.
     *
     * @throws io.msb.api.InvalidConfigException naming the argument when it is not base64, too large or repeated
     */
    static byte[] find(List<String> kernelArgs) {
        byte[] found = null;
        for (int i = 0; i < kernelArgs.size(); i++) {
            if (!isBootstrap(kernelArgs.get(i))) {
                continue;
            }
            String field = "kernelArgs[" + i + "]";
            if (found != null) {
                throw QemuCommand.invalid(field, "is a second " + ARGUMENT + " argument; give one");
            }
            String b64 = kernelArgs.get(i).substring(ARGUMENT.length());
            if ((long) b64.length() * 3 / 4 > MAX_BYTES) {
                throw QemuCommand.invalid(field, "carries a bootstrap larger than " + MAX_BYTES + " bytes");
            }
            try {
                // Either alphabet, padding optional: what agentd accepts on its command line too.
                found = Base64.getUrlDecoder().decode(b64.replace('+', '-').replace('/', '_').replace("=", ""));
            } catch (IllegalArgumentException e) {
                throw QemuCommand.invalid(field, "must be " + ARGUMENT + "<base64 CBOR>: " + e.getMessage());
            }
            if (found.length == 0) {
                throw QemuCommand.invalid(field, "carries an empty bootstrap");
            }
        }
        return found;
    }

    /**
     * Writes {@code initramfs} followed by an archive with the bootstrap to {@code target}, a new file that only
     * its owner can read: it holds the sandbox's environment, secrets included.
     */
    static void write(Path initramfs, byte[] bootstrap, Path target) throws IOException {
        byte[] archive = new Cpio().directory("msb", 0700).file(FILE, 0600, bootstrap).finish();
        Files.deleteIfExists(target);
        // CREATE_NEW: never through a link someone else planted; the mode is set again below because the
        // creation mode passes through the umask.
        try (OutputStream out = Channels.newOutputStream(Files.newByteChannel(target,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(OWNER_ONLY)))) {
            Files.setPosixFilePermissions(target, OWNER_ONLY);
            long size = Files.copy(initramfs, out);
            // An uncompressed archive must start 4-byte aligned; the kernel skips zeros between archives.
            out.write(new byte[(int) ((4 - size % 4) % 4)]);
            out.write(archive);
        }
    }
}
