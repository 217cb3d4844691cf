package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Appended kernel module signatures (decision 0012). Checking one costs the guest a SHA-256 of the
 * whole module and an RSA verification, tens of milliseconds per boot under TCG; a kernel that does not enforce
 * signatures loads an unsigned module all the same (it only notes a taint), so the initramfs carries modules
 * without them when the kernel's configuration says signatures are optional.
 */
final class ModuleSignatures {
    private static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);
    /** struct module_signature: algo, hash, id_type, signer_len, key_id_len, 3 pad bytes, be32 sig_len. */
    private static final int INFO_BYTES = 12;
    private static final int PKCS7 = 2;

    private ModuleSignatures() {
    }

    /**
     * Whether the kernel whose modules live in {@code modulesDir} ({@code lib/modules/<release>}) loads unsigned
     * modules: only when its configuration is found and does not set {@code CONFIG_MODULE_SIG_FORCE}.
     */
    static boolean optional(Path modulesDir) {
        String release = modulesDir.getFileName().toString();
        List<Path> candidates = List.of(
                modulesDir.resolve("build/.config"),
                // a Debian package unpacked as it is (boot/ beside lib/), or the host's own kernel
                modulesDir.resolve("../../../boot/config-" + release).normalize(),
                Path.of("/boot/config-" + release));
        for (Path config : candidates) {
            if (Files.isRegularFile(config)) {
                try {
                    return Files.readAllLines(config, StandardCharsets.ISO_8859_1).stream()
                            .noneMatch(l -> l.trim().equals("CONFIG_MODULE_SIG_FORCE=y"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read kernel configuration " + config, e);
                }
            }
        }
        return false; // unknown kernel: keep the signatures it may insist on
    }

    /** The module without its appended PKCS#7 signature; the module unchanged when it has none or it is malformed. */
    static byte[] strip(byte[] module) {
        int n = module.length;
        if (n < MAGIC.length + INFO_BYTES || !Arrays.equals(module, n - MAGIC.length, n, MAGIC, 0, MAGIC.length)) {
            return module;
        }
        int info = n - MAGIC.length - INFO_BYTES;
        int idType = module[info + 2];
        long sigLen = Integer.toUnsignedLong(ByteBuffer.wrap(module).getInt(info + 8));
        if (idType != PKCS7 || module[info + 3] != 0 || module[info + 4] != 0 || sigLen == 0 || sigLen > info) {
            return module;
        }
        return Arrays.copyOf(module, (int) (info - sigLen));
    }
}
