package io.msb.e2e;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.testing.LocalRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real two-layer Debian image (minbase, then python3 added and /etc/issue.net whited out), built by the test with
 * debootstrap and umoci (cached between runs in {@code -Dmsb.e2e.imageCache}, default /var/cache/msb-test), pushed
 * with skopeo to Debian's docker-registry on a free loopback port, booted twice: once pulled from the registry, once
 * more after the registry is gone, from the cache alone. Two VM boots in all.
 */
@ExtendWith(PlatformExtension.class)
class DebianImageIT {
    static final String SCRIPT = "debian-python-image.sh";

    @Test
    void debianFromALocalRegistryRunsPythonThenBootsWithoutTheRegistry(Platform platform, @TempDir Path dir)
            throws Exception {
        Path layout = debianImage(dir, "debian-python", "python3-minimal");
        String ref;
        try (LocalRegistry registry = LocalRegistry.start(dir)) {
            ref = registry.host() + "/test/debian:bookworm";
            run(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":bookworm", "docker://" + ref);

            SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-debian").image(ref).replace(true).build());
            ExecResult py = box.exec(ExecOptions.of("python3", "-c", "print(6*7)").build());
            assertEquals("42\n", py.stdoutText(), py.stderrText());
            // layer 2 deleted /etc/issue.net; its neighbour from layer 1 is still there
            ExecResult ls = box.exec(ExecOptions.of("/bin/sh", "-c",
                    "test -e /etc/issue.net; echo issue.net=$?; test -f /etc/issue; echo issue=$?").build());
            assertEquals("issue.net=1\nissue=0\n", ls.stdoutText());
            platform.runtime().remove(box.name(), true);
        }
        // the registry is gone: a pull that must ask it fails, one that may use the cache does not
        assertThrows(MsbException.class, () -> platform.images().pull(ImageReference.parse(ref), PullPolicy.ALWAYS, null));
        SandboxHandle offline = platform.runtime().create(SandboxSpec.builder("e2e-debian-offline").image(ref)
                .pullPolicy(PullPolicy.IF_MISSING).replace(true).build());
        ExecResult py = offline.exec(ExecOptions.of("python3", "-c", "import sys; print(sys.version_info[0])").build());
        assertEquals("3\n", py.stdoutText(), py.stderrText());
        platform.runtime().remove(offline.name(), true);
    }

    /**
     * Runs the image script from the test resources: it builds the OCI layout {@code <name>-oci} (Debian minbase, then
     * {@code packages}) once in {@code -Dmsb.e2e.imageCache} and prints its path. Skips the test when a tool is missing.
     */
    static Path debianImage(Path dir, String name, String packages) throws Exception {
        for (String tool : List.of("/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/umoci", "/usr/bin/rsync")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), "this test needs " + tool
                    + " (apt-get install docker-registry skopeo umoci rsync debootstrap)");
        }
        Path cache = Path.of(System.getProperty("msb.e2e.imageCache", "/var/cache/msb-test"));
        Path script = dir.resolve(SCRIPT);
        try (InputStream in = DebianImageIT.class.getResourceAsStream(SCRIPT)) {
            Files.copy(in, script);
        }
        if (!Files.isRegularFile(cache.resolve(name + "-oci/index.json"))) {
            assumeTrue(Files.isExecutable(Path.of("/usr/sbin/debootstrap")) || Files.isDirectory(cache.resolve("minbase-bookworm")),
                    "building the Debian test image needs debootstrap (apt-get install debootstrap) and the Debian mirror");
        }
        Files.createDirectories(cache);
        String out = run(dir, "sh", script.toString(), cache.toString(), name, packages);
        return Path.of(out.strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "cmd", ".log");
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + Files.readString(log) + out);
        }
        return out;
    }
}
