package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.msb.api.LabelSelector;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.spi.VmmBackend;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.LayerRecord;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;

/** Restarting bundles (an upgrade, a hot swap) loses no records and leaves the platform working. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundleRestartIT extends PlatformTestBase {
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @Test
    public void recordsSurviveAStopAndStartOfTheStoreBundle() throws Exception {
        SandboxStore store = Osgi.service(context, SandboxStore.class);
        SandboxRecord a = Records.stopped("keep-a", "alpine:3.20", Map.of("team", "a"));
        SandboxRecord b = Records.stopped("keep-b", "debian:bookworm", Map.of("team", "b", "tier", "gold"));
        store.insertSandbox(a);
        store.insertSandbox(b);
        Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        RunRecord run = store.startRun("keep-a", 4242, started, SandboxStatus.RUNNING);
        store.terminateRun(run.id(), TerminationReason.COMPLETED, 0, null, started.plusSeconds(3),
                SandboxStatus.STOPPED);
        ImageRecord image = new ImageRecord("alpine:3.20", DIGEST, DIGEST, "{\"Env\":[\"PATH=/bin\"]}",
                List.of(new LayerRecord(DIGEST, DIGEST, "application/vnd.oci.image.layer.v1.tar+gzip", 3_456_789)),
                started);
        Osgi.service(context, ImageStore.class).saveImage(image);
        SandboxRecord aBefore = store.findSandbox("keep-a").orElseThrow();
        List<RunRecord> runsBefore = store.runs("keep-a");

        Bundle bundle = Osgi.bundle(context, "io.msb.store");
        bundle.stop();
        Osgi.gone(context, SandboxStore.class);
        Osgi.gone(context, ImageStore.class);
        // The runtime cannot work without its store: it withdraws its service rather than fail calls.
        Osgi.gone(context, SandboxService.class);
        bundle.start();

        SandboxStore reopened = Osgi.service(context, SandboxStore.class);
        assertEquals(aBefore, reopened.findSandbox("keep-a").orElseThrow());
        assertEquals(b, reopened.findSandbox("keep-b").orElseThrow());
        assertEquals(runsBefore, reopened.runs("keep-a"));
        assertEquals(RunRecord.class, runsBefore.get(0).getClass());
        assertEquals(image, Osgi.service(context, ImageStore.class).findImage("alpine:3.20").orElseThrow());
        assertEquals(List.of("keep-b"), reopened.listSandboxes(LabelSelector.parse("tier=gold")).stream()
                .map(SandboxRecord::name).toList());

        // The runtime is back too, and sees the same sandboxes through the new store.
        SandboxService sandboxes = Osgi.service(context, SandboxService.class);
        List<String> names = sandboxes.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList();
        assertTrue("SandboxService lists " + names, names.containsAll(List.of("keep-a", "keep-b")));
        SandboxInfo keepA = sandboxes.get("keep-a").orElseThrow();
        assertEquals(SandboxStatus.STOPPED, keepA.status());
        RunInfo lastRun = keepA.currentRun().orElseThrow(() -> new AssertionError("keep-a lost its run"));
        assertEquals(4242, lastRun.pid());
        assertEquals(TerminationReason.COMPLETED, lastRun.reason());
        assertEquals(Map.of("team", "b", "tier", "gold"), sandboxes.get("keep-b").orElseThrow().spec().labels());

        String ls = Gogo.run(context, "msb:ls");
        assertTrue("msb:ls after the restart printed " + ls, ls.contains("keep-a") && ls.contains("keep-b"));
    }

    @Test
    public void theVmmBackendCanBeSwappedUnderARunningRuntime() throws Exception {
        SandboxService sandboxes = Osgi.service(context, SandboxService.class);
        long serviceId = sandboxServiceId();
        Osgi.service(context, SandboxStore.class).insertSandbox(Records.stopped("swap-a", "alpine:3.20", Map.of()));
        assertEquals("qemu", Osgi.service(context, VmmBackend.class).name());

        Bundle qemu = Osgi.bundle(context, "io.msb.vmm.qemu");
        qemu.stop();
        Osgi.gone(context, VmmBackend.class);
        // The runtime tracks backends dynamically: its service stays, and keeps answering.
        assertEquals("SandboxService re-registered when the backend left", serviceId, sandboxServiceId());
        assertEquals(SandboxStatus.STOPPED, sandboxes.get("swap-a").orElseThrow().status());

        qemu.start();
        assertEquals("qemu", Osgi.service(context, VmmBackend.class).name());
        assertEquals("SandboxService re-registered when the backend came back", serviceId, sandboxServiceId());
        assertEquals(SandboxStatus.STOPPED, sandboxes.get("swap-a").orElseThrow().status());
    }

    private long sandboxServiceId() {
        ServiceReference<SandboxService> ref = context.getServiceReference(SandboxService.class);
        assertNotNull("no SandboxService registered", ref);
        return (Long) ref.getProperty(Constants.SERVICE_ID);
    }
}
