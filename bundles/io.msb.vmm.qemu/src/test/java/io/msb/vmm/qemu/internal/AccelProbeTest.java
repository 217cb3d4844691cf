package io.msb.vmm.qemu.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KVM probe boots for real once, then answers from its cache keyed by QEMU + kernel identity. */
class AccelProbeTest {
    @TempDir
    Path tmp;

    @Test
    void verdictIsProbedOnceAndCachedByIdentity() throws Exception {
        TestGuest.assumeQemu();
        assumeTrue(Files.isWritable(Path.of("/dev/kvm")), "/dev/kvm is missing or not writable: nothing to probe");
        Path kernel = Files.copy(TestGuest.kernel().image(), tmp.resolve("vmlinuz"));
        Path cache = tmp.resolve("accel-probe.properties");
        StringBuilder why = new StringBuilder();
        boolean verdict = AccelProbe.kvmUsable("qemu-system-x86_64", kernel, cache, why);
        assertEquals(verdict, why.length() == 0, "a reason is given exactly when KVM is refused: " + why);

        // Flip the stored verdict: the next answer must come from the cache, not from another boot.
        String key = AccelProbe.identity("qemu-system-x86_64", kernel);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(cache)) {
            p.load(in);
        }
        assertTrue(p.containsKey(key));
        p.setProperty(key, verdict ? "flipped for the test" : "ok");
        try (OutputStream out = Files.newOutputStream(cache)) {
            p.store(out, null);
        }
        assertEquals(!verdict, AccelProbe.kvmUsable("qemu-system-x86_64", kernel, cache, new StringBuilder()));

        // Another kernel (here: the same file, touched) is another identity.
        Files.setLastModifiedTime(kernel, FileTime.fromMillis(Files.getLastModifiedTime(kernel).toMillis() - 60_000));
        assertNotEquals(key, AccelProbe.identity("qemu-system-x86_64", kernel));
    }

    @Test
    void missingKvmDeviceNeedsNoBoot() {
        assumeTrue(!Files.exists(Path.of("/dev/kvm")), "needs a host without /dev/kvm (this one has it)");
        StringBuilder why = new StringBuilder();
        assertFalse(AccelProbe.kvmUsable("qemu-system-x86_64", tmp.resolve("k"), tmp.resolve("c"), why));
        assertTrue(why.toString().contains("/dev/kvm"));
    }
}
