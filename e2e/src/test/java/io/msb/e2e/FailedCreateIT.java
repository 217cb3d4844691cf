package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.BootFailedException;
import io.msb.api.InvalidConfigException;
import io.msb.api.SandboxSpec;
import io.msb.api.image.ImageNotFoundException;
import io.msb.api.image.RegistryUnreachableException;
import io.msb.api.SandboxService;
import io.msb.testing.LocalRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a create can fail leaves nothing (decision 0013): no record, no directory under
 * {@code $MSB_HOME/sandboxes}, no QEMU process; and the same name can be used again at once, never "already exists".
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class FailedCreateIT {
    private static Platform platform;

    @BeforeAll
    static void platform(Platform shared) {
        platform = shared;
    }

    private static SandboxSpec.Builder busybox(String name) {
        return SandboxSpec.builder(name).image(Platform.IMAGE).cpus(1).memoryMib(128);
    }

    /**
     * Creates {@code name} with {@code spec(name)} on {@code runtime}, expects {@code expected}, checks that nothing
     * is left, and that a second try of the same create fails the same way (not "already exists").
     */
    private static <E extends Throwable> E failsCleanly(SandboxService runtime, String name,
            Function<String, SandboxSpec> spec, Class<E> expected) {
        E first = assertThrows(expected, () -> runtime.create(spec.apply(name)));
        assertNothingLeft(runtime, name);
        Throwable again = assertThrows(Throwable.class, () -> runtime.create(spec.apply(name)));
        assertFalse(again instanceof AlreadyExistsException, "a retry says: " + again);
        assertInstanceOf(expected, again);
        assertNothingLeft(runtime, name);
        return first;
    }

    private static void assertNothingLeft(SandboxService runtime, String name) {
        assertTrue(runtime.get(name).isEmpty(), "no record of " + name);
        try (Stream<Path> dirs = Files.list(platform.home.resolve("sandboxes"))) {
            assertEquals(List.of(), dirs.map(d -> d.getFileName().toString()).filter(d -> d.contains(name)).toList(),
                    "no directory (nor .trash-) of " + name);
        } catch (java.nio.file.NoSuchFileException e) {
            // no sandboxes directory at all
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(List.of(), CrashLoop.qemuOf(platform.home, name), "no QEMU of " + name);
    }

    /** The name is free after the failure: a good create under it works (one boot). */
    private static void goodCreateWorks(String name) {
        try {
            assertEquals("ok\n", sh(platform.runtime().create(busybox(name).build()), "echo ok").stdoutText());
        } finally {
            platform.runtime().remove(name, true);
        }
        assertNothingLeft(platform.runtime(), name);
    }

    /** The longest name whose agent.sock the relay can bind here: 106 bytes of path, the JDK's limit. */
    private static int longestName() {
        return 106 - (platform.home.resolve("sandboxes") + "/").length() - "/agent.sock".length();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void badImagesFailBeforeAnythingIsWritten() throws Exception {
        SandboxService rt = platform.runtime();
        InvalidConfigException invalid = failsCleanly(rt, "fc-ref",
                n -> SandboxSpec.builder(n).image("Not A//Reference:@@").build(), InvalidConfigException.class);
        assertTrue(invalid.getMessage().contains("image"), invalid.getMessage());

        int port = closedPort();
        RegistryUnreachableException unreachable = failsCleanly(rt, "fc-unreachable",
                n -> SandboxSpec.builder(n).image("127.0.0.1:" + port + "/test/none:1").build(),
                RegistryUnreachableException.class);
        assertTrue(unreachable.getMessage().contains("127.0.0.1:" + port), unreachable.getMessage());

    }

    @Test
    void anImageMissingFromTheRegistryLeavesNothing(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-registry")),
                "this test needs /usr/bin/docker-registry (apt-get install docker-registry)");
        try (LocalRegistry registry = LocalRegistry.start(dir)) {
            ImageNotFoundException missing = failsCleanly(platform.runtime(), "fc-missing",
                    n -> SandboxSpec.builder(n).image(registry.host() + "/test/none:1").build(),
                    ImageNotFoundException.class);
            assertTrue(missing.getMessage().contains("test/none"), missing.getMessage());
        }
    }

    @Test
    void invalidSpecsNameTheirField() {
        SandboxService rt = platform.runtime();
        int max = longestName();
        for (int length : new int[] {max + 1, 72, 100, 128}) {
            if (length > max) {
                String name = "n".repeat(length);
                InvalidConfigException e = failsCleanly(rt, name, n -> busybox(n).build(), InvalidConfigException.class);
                assertEquals("name", e.field(), e.getMessage());
            }
        }
        String bigValue = "x".repeat(128 * 1024);
        assertEquals("env", failsCleanly(rt, "fc-env", n -> busybox(n).env("BIG", bigValue).build(),
                InvalidConfigException.class).field());
        assertEquals("env", failsCleanly(rt, "fc-env-total", n -> busybox(n).env("A", bigValue.substring(100))
                .env("B", bigValue.substring(100)).env("C", bigValue.substring(100)).build(),
                InvalidConfigException.class).field());
        assertEquals("hostname", failsCleanly(rt, "fc-host", n -> busybox(n).hostname("h".repeat(65)).build(),
                InvalidConfigException.class).field());
        assertEquals("labels", failsCleanly(rt, "fc-label", n -> busybox(n).label("sandbox.id", "x").build(),
                InvalidConfigException.class).field());
    }

    @Test
    void aNameExactlyAtTheSocketPathLimitWorks() {
        int max = longestName();
        String name = "l".repeat(max);
        assertEquals(106, platform.home.resolve("sandboxes").resolve(name).resolve("agent.sock").toString().length());
        goodCreateWorks(name);
    }

    @Test
    void aMissingKernelFailsTheBootAndFreesTheName() {
        platform.withQemu(Map.of("kernel", platform.home.resolve("no-such-kernel").toString(), "accel", "tcg"), () -> {
            BootFailedException e = failsCleanly(platform.runtime(), "fc-kernel", n -> busybox(n).build(),
                    BootFailedException.class);
            assertTrue(e.getMessage().contains("no-such-kernel"), e.getMessage());
        });
        goodCreateWorks("fc-kernel");
    }

    @Test
    void aWorkdirMissingInTheGuestFailsAfterTheBootAndStopsTheVm() {
        BootFailedException e = failsCleanly(platform.runtime(), "fc-workdir",
                n -> busybox(n).workdir("/no/such/dir").build(), BootFailedException.class);
        assertEquals(BootFailedException.Stage.WORKDIR, e.stage(), e.getMessage());
        assertTrue(e.getMessage().contains("/no/such/dir"), e.getMessage());
        goodCreateWorks("fc-workdir");
    }

    @Test
    void aVmThatDiesDuringTheBootLeavesNothing() throws Exception {
        // an /init that cannot be executed: the kernel finds no working init and panics, QEMU ends (panic=-1)
        Path notAnAgent = Files.write(platform.home.resolve("not-an-agent"), new byte[4096]);
        platform.withQemu(Map.of("agentd", notAnAgent.toString()), () -> {
            BootFailedException e = failsCleanly(platform.runtime(), "fc-dies", n -> busybox(n).build(),
                    BootFailedException.class);
            assertTrue(e.stage() != BootFailedException.Stage.PREPARE, e.getMessage());
        });
    }
}
