package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import io.msb.api.RunInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.spi.VmmBackend;
import java.io.IOException;
import java.time.Duration;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Hot swap with a real VM: stopping and starting the io.msb.vmm.qemu bundle while a builtin:busybox sandbox runs
 * leaves the sandbox running (same run, same QEMU process) and usable. The runtime talks to the guest through its
 * own agent client and relay, so the backend bundle's absence must not touch a live VM.
 *
 * <p>End-to-end: runs only under {@code -Pe2e} (its own failsafe execution, skipped by {@code msb.e2e.skip}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VmmHotSwapE2EIT {

    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() throws IOException {
        return MsbPlatform.forHome(E2eHome.create(VmmHotSwapE2EIT.class)); // the qemu bundle carries agentd itself
    }

    /** The VM's lifetime is tied to this JVM; its handle came from the backend instance that is stopped. */
    @Test
    public void anAttachedSandboxSurvivesARestartOfTheQemuBundle() throws Exception {
        survivesARestartOfTheQemuBundle("hotswap-attached", false);
    }

    /** A VM that would outlive the JVM: the runtime must not need to reattach just because the backend left. */
    @Test
    public void aDetachedSandboxSurvivesARestartOfTheQemuBundle() throws Exception {
        survivesARestartOfTheQemuBundle("hotswap-detached", true);
    }

    private void survivesARestartOfTheQemuBundle(String name, boolean detached) throws Exception {
        E2eHome.requireHostTools();
        SandboxService sandboxes = Osgi.service(context, SandboxService.class);
        long serviceId = (Long) context.getServiceReference(SandboxService.class).getProperty(Constants.SERVICE_ID);
        Bundle qemu = Osgi.bundle(context, "io.msb.vmm.qemu");
        SandboxHandle sandbox = sandboxes.create(SandboxSpec.builder(name).image("builtin:busybox")
                .detached(detached).replace(true).build());
        try {
            RunInfo run = runningRun(sandboxes, name);
            assertTrue("QEMU pid " + run.pid() + " is not alive", ProcessHandle.of(run.pid()).isPresent());
            assertEcho(sandbox, "before");

            qemu.stop();
            Osgi.gone(context, VmmBackend.class);
            assertEquals("the run changed while the backend was away", run, runningRun(sandboxes, name));

            qemu.start();
            assertEquals("qemu", Osgi.service(context, VmmBackend.class).name());
            assertEquals("SandboxService re-registered", serviceId,
                    (long) (Long) context.getServiceReference(SandboxService.class).getProperty(Constants.SERVICE_ID));
            assertEquals("the run changed across the backend restart", run, runningRun(sandboxes, name));
            assertTrue("QEMU pid " + run.pid() + " died", ProcessHandle.of(run.pid()).map(ProcessHandle::isAlive).orElse(false));
            assertEcho(sandbox, "after");
            assertEcho(sandboxes.handle(name), "again"); // a handle looked up after the swap works too

            sandboxes.stop(name, Duration.ofSeconds(30));
            SandboxInfo stopped = sandboxes.get(name).orElseThrow();
            assertEquals(SandboxStatus.STOPPED, stopped.status());
            RunInfo last = stopped.currentRun().orElseThrow(() -> new AssertionError("the stopped sandbox lost its run"));
            assertEquals(run.id(), last.id());
            assertFalse("the run is still marked running: " + last, last.running());
            Osgi.eventually("QEMU pid " + run.pid() + " gone",
                    () -> !ProcessHandle.of(run.pid()).map(ProcessHandle::isAlive).orElse(false));
        } finally {
            sandboxes.remove(name, true);
        }
    }

    private static RunInfo runningRun(SandboxService sandboxes, String name) {
        SandboxInfo info = sandboxes.get(name).orElseThrow(() -> new AssertionError(name + " is gone"));
        assertEquals(SandboxStatus.RUNNING, info.status());
        RunInfo run = info.currentRun().orElseThrow(() -> new AssertionError(name + " has no run"));
        assertTrue("run not marked running: " + run, run.running());
        return run;
    }

    private static void assertEcho(SandboxHandle sandbox, String word) {
        ExecResult r = sandbox.exec(ExecOptions.of("echo", word).build());
        assertTrue("echo " + word + " exited " + r.exit() + ", stderr: " + new String(r.stderr()), r.exit().success());
        assertEquals(word + "\n", r.stdoutText());
    }
}
