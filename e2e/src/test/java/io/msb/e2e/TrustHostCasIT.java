package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import io.msb.api.network.NetworkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code trust_host_cas} (decision 1320): a guest gets the host's CA bundle, here builtin:busybox, which has no bundle
 * of its own, so it gets only the file beside (no bundle is made from nothing). One VM boot.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class TrustHostCasIT {
    @Test
    void theGuestGetsTheHostsCaBundle(Platform platform) throws Exception {
        assumeTrue(platform.networked(), "needs io.msb.network");
        Path host = Path.of("/etc/ssl/certs/ca-certificates.crt");
        assumeTrue(Files.isRegularFile(host), "the host has no Debian CA bundle");
        SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-host-cas").image(Platform.IMAGE)
                .replace(true).network(NetworkConfig.fromMap(Map.of("trust_host_cas", true))).build());
        try {
            ExecResult file = sh(box, "sha256sum /usr/local/share/ca-certificates/msb-host-cas.crt | cut -d' ' -f1;"
                    + " test -e /etc/ssl/certs/ca-certificates.crt; echo bundle=$?");
            String content = Files.readString(host);
            String expected = SecretInjectionIT.sha256(content.endsWith("\n") ? content : content + "\n");
            assertEquals(expected + "\nbundle=1\n", file.stdoutText(), file.stderrText());
        } finally {
            platform.runtime().remove(box.name(), true);
        }
    }
}
