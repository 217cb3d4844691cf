package io.msb.e2e;

import static io.msb.e2e.Platform.await;
import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.BootFailedException;
import io.msb.api.RunInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Sandbox lifecycles on real VMs: concurrency, stop/start, crash, runtime restart, boot failure. */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class LifecycleIT {
    private static Platform platform;

    @BeforeAll
    static void platform(Platform shared) {
        platform = shared;
    }

    private static SandboxInfo info(String name) {
        return platform.runtime().get(name).orElseThrow();
    }

    @Test
    void fiveSandboxesRunAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<SandboxHandle>> booting = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String name = "e2e-five-" + i;
                booting.add(pool.submit(() -> platform.create(name, false)));
            }
            List<SandboxHandle> boxes = new ArrayList<>();
            for (Future<SandboxHandle> f : booting) {
                boxes.add(f.get());
            }
            for (SandboxHandle b : boxes) {
                assertEquals(SandboxStatus.RUNNING, b.info().status());
            }
            // All five are up at the same time, each its own VM with its own hostname and files.
            for (SandboxHandle b : boxes) {
                assertTrue(sh(b, "echo " + b.name() + " > /root/me").exit().success());
            }
            for (SandboxHandle b : boxes) {
                assertEquals(b.name() + "\n" + b.name() + "\n", sh(b, "hostname; cat /root/me").stdoutText());
            }
            assertEquals(5, boxes.stream().map(b -> b.info().currentRun().orElseThrow().pid()).distinct().count());
        } finally {
            pool.shutdown();
            for (int i = 0; i < 5; i++) {
                if (platform.runtime().get("e2e-five-" + i).isPresent()) {
                    platform.runtime().remove("e2e-five-" + i, true);
                }
            }
        }
    }

    @Test
    void stopThenStartKeepsTheUpperDisk() {
        SandboxHandle box = platform.create("e2e-persist", false);
        try {
            assertTrue(sh(box, "mkdir -p /srv/data && echo kept > /srv/data/file && sync").exit().success());
            long firstPid = info("e2e-persist").currentRun().orElseThrow().pid();
            box.stop(Duration.ofSeconds(30));
            SandboxInfo stopped = info("e2e-persist");
            assertEquals(SandboxStatus.STOPPED, stopped.status());
            assertFalse(stopped.currentRun().orElseThrow().running());

            SandboxHandle again = platform.runtime().start("e2e-persist");
            assertEquals(SandboxStatus.RUNNING, again.info().status());
            assertTrue(again.info().currentRun().orElseThrow().pid() != firstPid, "a new VM");
            assertEquals("kept\n", sh(again, "cat /srv/data/file").stdoutText());
        } finally {
            platform.runtime().remove("e2e-persist", true);
        }
    }

    @Test
    void killingQemuIsSeenAsACrash() throws Exception {
        SandboxHandle box = platform.create("e2e-crash", false);
        try {
            long pid = info("e2e-crash").currentRun().orElseThrow().pid();
            assertTrue(Files.readString(Path.of("/proc/" + pid + "/comm")).startsWith("qemu"), "the run's pid is QEMU");
            assertEquals(0, new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor());
            await("the runtime to see the crash", () -> info("e2e-crash").status() == SandboxStatus.CRASHED);
            RunInfo run = info("e2e-crash").currentRun().orElseThrow();
            assertFalse(run.running());
            assertEquals(TerminationReason.INTERNAL_ERROR, run.reason());
            // A crashed sandbox starts again on the same disks.
            assertEquals("up\n", sh(platform.runtime().start("e2e-crash"), "echo up").stdoutText());
        } finally {
            platform.runtime().remove("e2e-crash", true);
        }
    }

    @Test
    void aDetachedSandboxSurvivesARuntimeRestart() {
        SandboxHandle box = platform.create("e2e-detached", true);
        try {
            assertTrue(sh(box, "echo before > /root/note").exit().success());
            long pid = info("e2e-detached").currentRun().orElseThrow().pid();

            SandboxService restarted = platform.restartRuntime();
            SandboxInfo after = restarted.get("e2e-detached").orElseThrow();
            assertEquals(SandboxStatus.RUNNING, after.status());
            assertEquals(pid, after.currentRun().orElseThrow().pid(), "the same VM, not a new boot");
            SandboxHandle again = restarted.handle("e2e-detached");
            assertEquals("before\nafter\n", sh(again, "echo after >> /root/note; cat /root/note").stdoutText());
        } finally {
            platform.runtime().remove("e2e-detached", true);
        }
    }

    @Test
    void aBrokenKernelFailsTheBootClearlyAndLeavesNothingRunning() throws Exception {
        Path notAKernel = Files.write(platform.home.resolve("not-a-kernel"), new byte[4096]);
        try {
            platform.withQemu(Map.of("kernel", notAKernel.toString(), "accel", "tcg"), () -> {
                SandboxService runtime = platform.runtime();
                BootFailedException e = assertThrows(BootFailedException.class, () -> runtime.create(
                        SandboxSpec.builder("e2e-broken").image(Platform.IMAGE).build()));
                // QEMU itself refuses the file: the failure names the stage and carries QEMU's reason.
                assertEquals(BootFailedException.Stage.VMM_START, e.stage(), e.getMessage());
                assertTrue(e.getMessage().contains("kernel"), e.getMessage());
                // a failed create leaves nothing: no record, no directory (decision 0013)
                assertTrue(runtime.get("e2e-broken").isEmpty(), "no record is left");
                assertFalse(Files.exists(platform.home.resolve("sandboxes/e2e-broken")), "no directory is left");
            });
        } finally {
            if (platform.runtime().get("e2e-broken").isPresent()) {
                platform.runtime().remove("e2e-broken", true);
            }
        }
    }
}
