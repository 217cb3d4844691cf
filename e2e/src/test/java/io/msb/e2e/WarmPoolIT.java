package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.PlatformInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.network.NetworkPolicy;
import java.nio.file.Files;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A warm pool configured through ConfigAdmin (decision 1260) fills with paused VMs restored from its template; a
 * create of its kind takes one and the sandbox is its own (name, hostname, address, env, workdir) with a working
 * network; a create of another kind boots; deleting the configuration kills the ready VMs.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class WarmPoolIT {
    private static PlatformInfo.Pool pool(Platform platform) {
        return platform.runtime().platform().pools().stream().filter(p -> p.image().equals(Platform.IMAGE))
                .findFirst().orElseThrow(() -> new AssertionError("no pool for " + Platform.IMAGE + " in "
                        + platform.runtime().platform().pools()));
    }

    @Test
    void aCreateOfThePoolsKindTakesAReadyVmAndIsItsOwnSandbox(Platform platform) throws Exception {
        assumeTrue(platform.networked(), "needs io.msb.network running in the platform");
        platform.configurePool("e2e", Map.of("image", Platform.IMAGE, "size", 2, "detached", false));
        try {
            Platform.await("the pool to fill", () -> platform.runtime().platform().pools().stream()
                    .anyMatch(p -> p.ready() == 2));
            assertNull(pool(platform).lastError());

            SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-warm").image(Platform.IMAGE)
                    .env("WARM", "yes").workdir("/tmp").networkPolicy(NetworkPolicy.defaults()).replace(true).build());
            try {
                assertEquals(1, pool(platform).taken(), "served from the pool");
                assertEquals("yes|/tmp|e2e-warm\n", sh(box, "echo \"$WARM|$(pwd)|$(hostname)\"").stdoutText());
                String address = box.info().addresses().orElseThrow().ipv4();
                String guest = sh(box, "ip -4 addr show dev eth0").stdoutText();
                assertTrue(guest.contains("inet " + address.replaceFirst("/.*", "") + "/"), guest);
                String gateway = box.info().addresses().orElseThrow().gateway();
                assertTrue(sh(box, "ping -c 1 -W 10 " + gateway).exit().success(), "its network answers");
                assertTrue(Files.isDirectory(platform.home.resolve("sandboxes/e2e-warm")));
            } finally {
                platform.runtime().remove("e2e-warm", true);
            }
            Platform.await("the pool to refill", () -> pool(platform).ready() == 2);

            SandboxHandle other = platform.runtime().create(SandboxSpec.builder("e2e-warm-other")
                    .image(Platform.IMAGE).memoryMib(384).replace(true).build());
            try {
                assertEquals(1, pool(platform).taken(), "another machine is not the pool's kind");
                assertEquals("ok\n", sh(other, "echo ok").stdoutText());
            } finally {
                platform.runtime().remove("e2e-warm-other", true);
            }
        } finally {
            platform.deletePool("e2e");
        }
        Platform.await("the pool's VMs to go", () -> platform.runtime().platform().pools().isEmpty());
        try (Stream<java.nio.file.Path> left = Files.list(platform.home.resolve("pool"))) {
            assertEquals(0, left.count(), "ready VMs' directories removed");
        }
    }
}
