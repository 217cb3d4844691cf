package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.fail;

import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.api.volume.VolumeInUseException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The volume service and the runtime reference each other optionally (decisions 1200, 1213). A restart of the
 * runtime bundle while nothing else uses the volume service (as in e2e, where PauseIT restarts the runtime before
 * MountsIT first asks for volumes) makes the new runtime's activation create the volume component: the volume
 * service must still find the runtime for its in-use checks afterwards. Whether SCR saw that as a circular get
 * depended on timing, hence several rounds.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class VolumeRuntimeRestartIT extends PlatformTestBase {
    private static final String SPEC = "{\"v\":1,\"name\":\"user\","
            + "\"rootfs\":{\"kind\":\"oci\",\"reference\":\"alpine\"},\"cpus\":1,\"memoryMib\":256,"
            + "\"diskSizeMib\":0,\"env\":{},\"labels\":{},\"mounts\":[{\"source\":\"kept\","
            + "\"guestPath\":\"/data\",\"kind\":\"VOLUME\",\"readOnly\":false}],\"pullPolicy\":\"IF_MISSING\"}";

    @Test
    public void aVolumeIsRemovedAndCheckedForUseAfterTheRuntimeRestarts() throws Exception {
        // only the runtime uses the volume service, as in e2e: the shell and HTTP would keep it active
        for (String name : List.of("io.msb.shell", "io.msb.http")) {
            for (Bundle b : context.getBundles()) {
                if (name.equals(b.getSymbolicName())) {
                    b.stop();
                }
            }
        }
        Osgi.service(context, SandboxService.class);
        Osgi.service(context, SandboxStore.class).insertSandbox(new SandboxRecord("user", SPEC,
                SandboxStatus.STOPPED, false, Map.of(), Instant.now(), Instant.now()));

        Bundle runtime = Osgi.bundle(context, "io.msb.runtime");
        for (int i = 0; i < 20; i++) {
            runtime.stop();
            Osgi.gone(context, SandboxService.class);
            runtime.start();
            Osgi.service(context, SandboxService.class);

            // got and released each round, so that the next restart creates the volume component again
            ServiceReference<VolumeService> ref = context.getServiceReference(VolumeService.class);
            VolumeService volumes = context.getService(ref);
            try {
                if (i == 0) {
                    volumes.create(VolumeSpec.directory("kept"));
                }
                volumes.create(VolumeSpec.directory("free"));
                VolumeInfo kept = volumes.get("kept").orElseThrow();
                assertEquals("restart " + i + ": the volume service sees the runtime's sandboxes", List.of("user"),
                        kept.usedBy());
                try {
                    volumes.remove("kept");
                    fail("restart " + i + ": a volume a sandbox mounts was removed");
                } catch (VolumeInUseException expected) {
                    assertEquals(List.of("user"), expected.sandboxes());
                }
                volumes.remove("free");
                assertFalse(volumes.get("free").isPresent());
            } finally {
                context.ungetService(ref);
            }
        }
    }
}
