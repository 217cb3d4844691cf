package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sandbox's environment is a secret of its owner (decisions 0240, 0811): it reaches the guest intact, ~200 KiB
 * of it too, but no process on the host shows it on a command line or in QEMU's environment, no file of the
 * sandbox keeps it, and QEMU does not run as root.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class SecretsIT {
    private static final String NAME = "e2e-secret";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TOKEN = hex(24);
    /** 50 entries of 4 KiB: ~200 KiB of env, far more than the kernel command line's 2 KiB. */
    private static final Map<String, String> BIG = big();
    @RegisterExtension
    static final SharedSandbox SANDBOX = new SharedSandbox(platform -> platform.runtime().create(SandboxSpec
            .builder(NAME).image(Platform.IMAGE).env("SECRET_TOKEN", TOKEN).env(BIG).replace(true).build()));

    private static Map<String, String> big() {
        Map<String, String> big = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            big.put("BIG_" + i, hex(2048));
        }
        return big;
    }

    /**
     * The guest never prints the secret here: what a command prints is the sandbox's log (decision 1017), and the
     * test below checks that nothing msb writes itself holds the secret.
     */
    @Test
    void theGuestSeesTheWholeEnvironment(SandboxHandle box) throws Exception {
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(TOKEN.getBytes(StandardCharsets.UTF_8)));
        assertEquals(digest + "  -\n", sh(box, "printf %s \"$SECRET_TOKEN\" | sha256sum").stdoutText());
        ExecResult env = sh(box, "env | grep ^BIG_");
        assertTrue(env.exit().success(), env.stderrText());
        Map<String, String> seen = new HashMap<>();
        for (String line : env.stdoutText().split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                seen.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        BIG.forEach((k, v) -> assertEquals(v, seen.get(k), k + " differs in the guest"));
    }

    @Test
    void noCommandLineQemuEnvironmentOrSandboxFileHoldsTheSecret(Platform platform) throws IOException {
        List<String> forms = forms(TOKEN);
        long qemu = qemuPid();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String cmdline = read(p.resolve("cmdline"));
                for (String form : forms) {
                    assertFalse(cmdline.contains(form), p + "/cmdline holds the secret (as " + form + "): " + cmdline);
                }
                // Ours only: other tests on this host (agentd's test_vm) boot with a harmless one on purpose.
                assertFalse(cmdline.contains(platform.home.toString()) && cmdline.contains("msb.bootstrap="),
                        p + "/cmdline carries a bootstrap: " + cmdline);
            }
        }
        String environ = read(Path.of("/proc/" + qemu + "/environ"));
        forms.forEach(form -> assertFalse(environ.contains(form), "QEMU's environment holds the secret"));

        // The private initramfs with the bootstrap (0600, BootstrapArchiveTest) is gone once QEMU loaded it.
        Path dir = platform.home.resolve("sandboxes").resolve(NAME);
        assertFalse(Files.exists(dir.resolve("initramfs.cpio")), "the bootstrap initramfs stayed on disk");
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (Files.size(f) <= 16 << 20) { // the disks are large and hold what the guest wrote, not the bootstrap
                    String content = read(f);
                    forms.forEach(form -> assertFalse(content.contains(form), f + " holds the secret"));
                }
            }
        }
    }

    @Test
    void qemuRunsWithoutRootAndCapabilities() throws IOException {
        assumeTrue(((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0,
                "QEMU only switches users when the server runs as root: run this test as root to check it");
        List<String> status = Files.readAllLines(Path.of("/proc/" + qemuPid() + "/status"));
        String uid = status.stream().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow();
        assertFalse(uid.split("\\s+")[1].equals("0") || uid.split("\\s+")[2].equals("0"), "QEMU " + uid);
        assertTrue(status.contains("CapEff:\t0000000000000000"), () -> "QEMU " + status);
        assertTrue(status.contains("CapPrm:\t0000000000000000"), () -> "QEMU " + status);
    }

    /** The secret literally and as it would appear base64-encoded at any byte offset (the old kernel argument). */
    private static List<String> forms(String secret) {
        List<String> forms = new ArrayList<>(List.of(secret));
        for (int shift = 0; shift < 3; shift++) {
            byte[] shifted = ("x".repeat(shift) + secret).getBytes(StandardCharsets.UTF_8);
            String b64 = Base64.getUrlEncoder().withoutPadding().encodeToString(shifted);
            forms.add(b64.substring(4, b64.length() - 4)); // drop the characters the neighbours' bytes change
        }
        return forms;
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** QEMU's pid: the process whose command line is qemu-system-* with -name e2e-secret. */
    private static long qemuPid() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                List<String> argv = List.of(read(p.resolve("cmdline")).split("\0"));
                if (!argv.isEmpty() && argv.get(0).contains("qemu-system") && argv.contains("-name")
                        && argv.get(argv.indexOf("-name") + 1).equals(NAME)) {
                    return Long.parseLong(p.getFileName().toString());
                }
            }
        }
        throw new AssertionError("no QEMU process for " + NAME);
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException gone) { // processes end while the scan runs
            return "";
        }
    }
}
