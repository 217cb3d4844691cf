package io.msb.e2e;

import static io.msb.e2e.Platform.await;
import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidStateException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.exec.ExecOptions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pause and resume of real VMs (QMP stop/cont, decisions 1220-1223): guest time stands still while paused and runs on
 * after, the wall clock is set again on resume, exec is refused meanwhile, a paused sandbox stops, survives a runtime
 * restart as Paused, and its QEMU dying is a crash. Only orderings and ranges that hold on a loaded TCG machine.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class PauseIT {
    /** The guest counter's period: it cannot step faster than this, however fast the machine. */
    private static final double STEP_SECONDS = 0.2;
    /** How long the test keeps the VM paused: long enough that a running counter would have moved ~25 steps. */
    private static final Duration PAUSED_FOR = Duration.ofSeconds(5);
    private static Platform platform;

    @BeforeAll
    static void platform(Platform shared) {
        platform = shared;
    }

    private static SandboxStatus status(String name) {
        return platform.runtime().get(name).orElseThrow().status();
    }

    /** Counter and uptime (seconds) read in one exec (the counter file is replaced by rename: never read empty). */
    private record Reading(long counter, double uptime) {
        static Reading of(SandboxHandle box) {
            String[] parts = sh(box, "cat /tmp/c; cut -d' ' -f1 /proc/uptime").stdoutText().trim().split("\\s+");
            return new Reading(Long.parseLong(parts[0]), Double.parseDouble(parts[1]));
        }
    }

    @Test
    void guestTimeStandsStillWhilePausedAndTheClockIsSetOnResume() throws Exception {
        SandboxHandle box = platform.create("e2e-pause", false);
        try {
            assertTrue(sh(box, "(i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep "
                    + STEP_SECONDS + "; done) </dev/null >/dev/null 2>&1 &").exit().success());
            await("the counter to run",
                    () -> sh(box, "cat /tmp/c 2>/dev/null || echo 0").stdoutText().trim().matches("[1-9][0-9]*"));

            Reading before = Reading.of(box);
            long windowStart = System.nanoTime(); // after the reading: the guest ran at most until here + the pause
            assertEquals(SandboxStatus.PAUSED, box.pause().status());
            long pausedAt = System.nanoTime();
            assertEquals(SandboxStatus.PAUSED, status("e2e-pause"), "persisted");
            InvalidStateException refused = assertThrows(InvalidStateException.class,
                    () -> box.exec(ExecOptions.of("true").build()));
            assertTrue(refused.getMessage().contains("paused"), refused.getMessage());
            Thread.sleep(PAUSED_FOR.toMillis());
            assertEquals(SandboxStatus.PAUSED, status("e2e-pause"), "a paused VM is no crash for the supervisor");
            long resumedAt = System.nanoTime();
            assertEquals(SandboxStatus.RUNNING, box.resume().status());
            long hostBefore = System.currentTimeMillis() / 1000;
            long guestNow = Long.parseLong(sh(box, "date +%s").stdoutText().trim());
            long hostAfter = (System.currentTimeMillis() + 999) / 1000;
            Reading after = Reading.of(box);
            long windowEnd = System.nanoTime();

            // the guest ran only outside [pausedAt, resumedAt]: its counter and uptime moved by that much at most
            double ranSeconds = ((windowEnd - windowStart) - (resumedAt - pausedAt)) / 1e9;
            double frozenSeconds = (resumedAt - pausedAt) / 1e9;
            long steps = after.counter() - before.counter();
            double uptime = after.uptime() - before.uptime();
            System.out.printf("pause: %d steps and %.2f s of guest uptime over %.2f s running + %.2f s paused%n",
                    steps, uptime, ranSeconds, frozenSeconds);
            assertTrue(steps <= ranSeconds / STEP_SECONDS + 2, steps + " counter steps in " + ranSeconds
                    + " s of running time: the counter ran while paused");
            assertTrue(uptime <= ranSeconds + 1, "guest uptime moved " + uptime + " s in " + ranSeconds
                    + " s of running time and " + frozenSeconds + " s paused");
            // the guest's wall clock lagged by the pause; resume set it to the host's
            assertTrue(guestNow >= hostBefore - 2 && guestNow <= hostAfter + 2, "guest date " + guestNow
                    + " outside the host's [" + hostBefore + ", " + hostAfter + "] after a " + frozenSeconds
                    + " s pause");
            await("the counter to run on", () -> Reading.of(box).counter() > after.counter() + 2);

            // a paused sandbox stops (resumed first so that the guest shuts down by itself)
            box.pause();
            platform.runtime().stop("e2e-pause", null);
            assertEquals(SandboxStatus.STOPPED, status("e2e-pause"));
            assertEquals(TerminationReason.SHUTDOWN_REQUESTED,
                    platform.runtime().get("e2e-pause").orElseThrow().currentRun().orElseThrow().reason());
        } finally {
            platform.runtime().remove("e2e-pause", true);
        }
    }

    @Test
    void aPausedSandboxStaysPausedAcrossARuntimeRestart() {
        SandboxHandle box = platform.create("e2e-pause-kept", true);
        try {
            assertTrue(sh(box, "echo kept > /root/note").exit().success());
            long pid = box.info().currentRun().orElseThrow().pid();
            box.pause();

            SandboxService restarted = platform.restartRuntime();
            assertEquals(SandboxStatus.PAUSED, restarted.get("e2e-pause-kept").orElseThrow().status());
            assertEquals(pid, restarted.get("e2e-pause-kept").orElseThrow().currentRun().orElseThrow().pid());
            assertThrows(InvalidStateException.class,
                    () -> restarted.handle("e2e-pause-kept").exec(ExecOptions.of("true").build()));
            assertEquals(SandboxStatus.RUNNING, restarted.resume("e2e-pause-kept").status());
            assertEquals("kept\n", sh(restarted.handle("e2e-pause-kept"), "cat /root/note").stdoutText());
        } finally {
            platform.runtime().remove("e2e-pause-kept", true);
        }
    }

    @Test
    void aPausedSandboxWhoseQemuDiesHasCrashed() throws Exception {
        SandboxHandle box = platform.create("e2e-pause-dies", false);
        try {
            box.pause();
            long pid = box.info().currentRun().orElseThrow().pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await("the crash to be recorded", () -> status("e2e-pause-dies") == SandboxStatus.CRASHED);
            assertEquals(TerminationReason.INTERNAL_ERROR,
                    platform.runtime().get("e2e-pause-dies").orElseThrow().currentRun().orElseThrow().reason());
        } finally {
            platform.runtime().remove("e2e-pause-dies", true);
        }
    }
}
