package io.msb.vmm.libkrun.internal;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * libkrun-recording-fake.so, compiled by the test from native/krun-launcher/tests into target/: a recording fake of
 * libkrun (see its source), never a VMM. It needs no KVM; the launcher skips its KVM check for it only under the
 * test-only switch {@link #SKIP_KVM} (decision 1742).
 */
final class RecordingFake {
    static final String SKIP_KVM = "MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK";
    private static Path built;

    private RecordingFake() {
    }

    static Path launcher() {
        Path launcher = Path.of(System.getProperty("msb.krun.launcher", "../../native/krun-launcher/target/krun-launcher"));
        assumeTrue(Files.isExecutable(launcher), "the krun-launcher binary is missing at " + launcher
                + " (build native/krun-launcher first)");
        return launcher.toAbsolutePath();
    }

    static synchronized Path library() throws IOException, InterruptedException {
        if (built == null) {
            Path source = Path.of(System.getProperty("msb.krun.fake.source",
                    "../../native/krun-launcher/tests/libkrun-recording-fake.c"));
            Path out = Path.of("target/libkrun-recording-fake.so").toAbsolutePath();
            Process gcc;
            try {
                gcc = new ProcessBuilder("gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-fPIC",
                        "-shared", "-o", out.toString(), source.toString()).inheritIO().start();
            } catch (IOException e) {
                assumeTrue(false, "gcc is not installed: it compiles libkrun-recording-fake.so");
                throw e;
            }
            if (!gcc.waitFor(120, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IOException("gcc could not build " + out + " from " + source);
            }
            built = out;
        }
        return built;
    }

    /** The launcher environment of a run against the fake: its record file, its guest mode, no KVM check. */
    static Map<String, String> environment(Path record, String enterMode) {
        return Map.of("MSB_KRUN_FAKE_RECORD", record.toString(), "MSB_KRUN_FAKE_ENTER", enterMode, SKIP_KVM, "1");
    }

    /** The fake's content hash of an initramfs entry (32-bit FNV-1a). */
    static String fnv1a(byte[] bytes) {
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x01000193;
        }
        return String.format("%08x", h);
    }
}
