package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.BootFailedException;
import io.msb.api.HandoffInit;
import io.msb.api.RunInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.TerminationReason;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.testing.LocalRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Init handoff (decision 0431): a Debian image with systemd (built like DebianImageIT's, cached the same way, pushed
 * to a local docker-registry) created with {@code init: auto}. udev is in it as on a real server: without it the
 * serial console's getty waits 90 s for a device unit that never appears. systemd is PID 1 and finishes booting, the agent
 * still serves exec and fs, and stop has systemd power the guest off itself. One VM boot.
 */
@ExtendWith(PlatformExtension.class)
class InitHandoffIT {
    static final String NAME = "e2e-systemd";
    static final Duration WAIT = Duration.ofMinutes(5); // generous: never a time assertion, only a safety net
    /**
     * systemd's state once its boot transaction is done ({@code --wait}); degraded is a finished boot with a failed
     * unit. Until systemd listens on its bus, systemctl answers "offline": asked again, at most 600 times.
     */
    static final String SYSTEM_RUNNING = "for i in $(seq 600); do s=$(systemctl is-system-running --wait 2>/dev/null);"
            + " case $s in offline|'') sleep 0.5;; *) break;; esac; done; echo \"$s\"";

    @Test
    void systemdIsPid1TheAgentKeepsServingAndStopPowersOffThroughSystemd(Platform platform, @TempDir Path dir)
            throws Exception {
        Path layout = DebianImageIT.debianImage(dir, "debian-systemd", "systemd systemd-sysv udev");
        SandboxHandle box;
        try (LocalRegistry registry = LocalRegistry.start(dir)) {
            String ref = registry.host() + "/test/debian-systemd:bookworm";
            DebianImageIT.run(dir, "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + layout + ":bookworm", "docker://" + ref);
            box = platform.runtime().create(SandboxSpec.builder(NAME).image(ref).memoryMib(512)
                    .hostname("handoff").init(HandoffInit.auto()).replace(true).build());
        }
        String pid1 = exec(box, "readlink", "/proc/1/exe").stdoutText(); // auto found /sbin/init, a link to systemd
        assertTrue(pid1.endsWith("/lib/systemd/systemd\n"), pid1);
        ExecResult state = exec(box, "sh", "-c", SYSTEM_RUNNING);
        Path logs = platform.home.resolve("sandboxes/" + NAME + "/logs");
        assertTrue(Set.of("running\n", "degraded\n").contains(state.stdoutText()), () -> state.stdoutText()
                + box.exec(ExecOptions.of("systemctl", "--failed", "--no-pager").build()).stdoutText()
                + "\nconsole:\n" + read(logs.resolve("kernel.log")));
        assertEquals("handoff\n", exec(box, "hostname").stdoutText(), "systemd set the sandbox's hostname, not the image's");
        box.fs().write("/root/handoff.txt", "agent still here".getBytes(StandardCharsets.UTF_8));
        assertEquals("agent still here", exec(box, "cat", "/root/handoff.txt").stdoutText());
        assertEquals("agent still here", new String(box.fs().readAllBytes("/root/handoff.txt"), StandardCharsets.UTF_8));

        box.stop(Duration.ofSeconds(120)); // a grace far beyond systemd's shutdown: the host never has to signal
        String console = read(logs.resolve("kernel.log"));
        assertTrue(console.contains("reboot: Power down"), console);
        assertFalse(console.contains("did not power off"), "agentd had to power off itself:\n" + console);
        String qemu = read(logs.resolve("qemu.log"));
        assertFalse(qemu.contains("terminating on signal"), "the host had to signal QEMU:\n" + qemu);
        assertEquals(TerminationReason.SHUTDOWN_REQUESTED, box.info().currentRun().map(RunInfo::reason).orElseThrow());
        platform.runtime().remove(NAME, true);
    }

    /** agentd cannot run the init it was given: it powers the guest off saying why, and the create fails with that. */
    @Test
    void anInitTheImageDoesNotHaveFailsTheCreateNamingIt(Platform platform) {
        BootFailedException e = assertThrows(BootFailedException.class, () -> platform.runtime().create(
                SandboxSpec.builder("e2e-no-init").image(Platform.IMAGE).init("/no/such/init").replace(true).build()));
        assertTrue(String.join("\n", e.kernelLogTail()).contains("agentd: init handoff failed: /no/such/init"),
                () -> e + "\n" + String.join("\n", e.kernelLogTail()));
        platform.runtime().remove("e2e-no-init", true);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static ExecResult exec(SandboxHandle box, String... command) {
        ExecResult r = box.exec(ExecOptions.of(command).timeout(WAIT).build());
        assertEquals(0, r.exit().code(), () -> String.join(" ", command) + ": " + r.stdoutText() + r.stderrText());
        return r;
    }
}
