package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signature stripping on made-up and on real Debian modules; when the kernel's configuration allows it. */
class ModuleSignaturesTest {
    private static final byte[] MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    static byte[] signed(byte[] module, int sigLen, int idType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(module);
        out.writeBytes(new byte[sigLen]);
        out.writeBytes(new byte[] {0, 0, (byte) idType, 0, 0, 0, 0, 0});
        out.writeBytes(ByteBuffer.allocate(4).putInt(sigLen).array());
        out.writeBytes(MAGIC);
        return out.toByteArray();
    }

    @Test
    void stripsAPkcs7SignatureAndNothingElse() {
        byte[] elf = "\u007fELF module body".getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(elf, ModuleSignatures.strip(signed(elf, 500, 2)));
        assertSame(elf, ModuleSignatures.strip(elf), "an unsigned module is returned as it is");
    }

    @Test
    void leavesMalformedTrailersAlone() {
        byte[] elf = new byte[64];
        byte[] tooLong = signed(elf, 10, 2);
        ByteBuffer.wrap(tooLong).putInt(tooLong.length - MAGIC.length - 4, 1 << 30);
        assertSame(tooLong, ModuleSignatures.strip(tooLong), "sig_len beyond the file");
        byte[] notPkcs7 = signed(elf, 10, 1);
        assertSame(notPkcs7, ModuleSignatures.strip(notPkcs7), "only PKCS#7 signatures are understood");
        byte[] zero = signed(elf, 0, 2);
        assertSame(zero, ModuleSignatures.strip(zero), "an empty signature");
        byte[] tiny = Arrays.copyOfRange(MAGIC, 0, MAGIC.length);
        assertSame(tiny, ModuleSignatures.strip(tiny));
    }

    @Test
    void realDebianModulesLoseTheirSignatureButStayElf() throws Exception {
        GuestKernel k = TestGuest.kernel();
        assumeTrue(k.modulesDir() != null, "the kernel has no modules directory");
        KernelModules modules = KernelModules.open(k.modulesDir());
        byte[] ko = modules.contents("erofs");
        assumeTrue(Arrays.equals(ko, ko.length - MAGIC.length, ko.length, MAGIC, 0, MAGIC.length),
                "this kernel's modules are not signed");
        byte[] stripped = ModuleSignatures.strip(ko);
        assertTrue(stripped.length < ko.length - 100, "a signature is a few hundred bytes");
        assertArrayEquals(Arrays.copyOf(ko, stripped.length), stripped);
        assertEquals(0x7f, stripped[0]);
        assertEquals('E', stripped[1]);
    }

    @Test
    void signaturesAreOptionalOnlyWhenTheConfigurationSaysSo() throws Exception {
        Path modules = Files.createDirectories(tmp.resolve("pkg/lib/modules/6.1.0-test"));
        Path config = Files.createDirectories(tmp.resolve("pkg/boot")).resolve("config-6.1.0-test");
        assertFalse(ModuleSignatures.optional(modules), "no configuration found: keep signatures");
        Files.writeString(config, "CONFIG_MODULE_SIG=y\n# CONFIG_MODULE_SIG_FORCE is not set\n");
        assertTrue(ModuleSignatures.optional(modules));
        Files.writeString(config, "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_FORCE=y\n");
        assertFalse(ModuleSignatures.optional(modules));
    }
}
