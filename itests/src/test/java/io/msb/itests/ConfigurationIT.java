package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxService;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.spi.VmmBackend;
import io.msb.api.store.SandboxStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/** Changes made through ConfigAdmin (as the Web Console makes them) reach the running components. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigurationIT extends PlatformTestBase {
    @Inject
    private ConfigurationAdmin configAdmin;

    private Path home() {
        return Path.of(context.getProperty(MsbPlatform.HOME_PROPERTY));
    }

    /** Each test starts from the class's home, whatever the previous test left configured. */
    @After
    public void restoreHomes() {
        Osgi.configure(configAdmin, MsbPlatform.STORE_PID, Map.of("home", home().toString(), "maxConnections", 8));
        Osgi.configure(configAdmin, MsbPlatform.RUNTIME_PID, Map.of("home", home().toString()));
        // SCR publishes the configuration in the service properties: wait until both show the restored one.
        Osgi.service(context, SandboxStore.class, "(&" + homeFilter("home", home()) + "(maxConnections=8))");
        Osgi.service(context, SandboxService.class, homeFilter(home()));
    }

    @Test
    public void runtimeHomeChangeShowsInTheServiceProperties() {
        Osgi.service(context, SandboxService.class, homeFilter(home()));
        Path moved = home().resolve("runtime-moved");

        Osgi.configure(configAdmin, MsbPlatform.RUNTIME_PID, Map.of("home", moved.toString()));

        SandboxService service = Osgi.service(context, SandboxService.class, homeFilter(moved));
        // The re-configured service works, and the old registration is gone rather than duplicated.
        service.list(LabelSelector.ALL);
        Osgi.eventually("no SandboxService left on the old home", () ->
                context.getServiceReferences(SandboxService.class, homeFilter(home())).isEmpty());
    }

    @Test
    public void storeHomeChangeReopensTheStoreAtTheNewLocation() throws Exception {
        Path moved = home().resolve("store-moved");
        Osgi.service(context, SandboxStore.class).insertSandbox(Records.stopped("first-home", "alpine:3.20", Map.of()));

        Osgi.configure(configAdmin, MsbPlatform.STORE_PID, Map.of("home", moved.toString()));

        // The new store is empty: it is a different database, under the new home's db/ directory.
        Osgi.eventually("the store re-opened at " + moved, () -> {
            SandboxStore store = Osgi.service(context, SandboxStore.class);
            return store.findSandbox("first-home").isEmpty() && store.listSandboxes(LabelSelector.ALL).isEmpty();
        });
        assertTrue("database files under " + moved.resolve("db"), hasFiles(moved.resolve("db")));
        Osgi.service(context, SandboxStore.class)
                .insertSandbox(Records.stopped("second-home", "alpine:3.20", Map.of()));

        Osgi.configure(configAdmin, MsbPlatform.STORE_PID, Map.of("home", home().toString()));

        // Back at the first home: its row is there, the other database's row is not.
        Osgi.eventually("the store re-opened at " + home(), () -> {
            SandboxStore store = Osgi.service(context, SandboxStore.class);
            return store.findSandbox("first-home").isPresent() && store.findSandbox("second-home").isEmpty();
        });
    }

    @Test
    public void invalidStoreConfigurationFailsNamingTheField() throws Exception {
        Osgi.configure(configAdmin, MsbPlatform.STORE_PID, Map.of("maxConnections", 0));

        // The store component opens the database when it activates and registers its stores only then: with
        // maxConnections=0 activation fails with a message naming the field, and no store is registered.
        ServiceComponentRuntime scr = Osgi.service(context, ServiceComponentRuntime.class);
        ComponentDescriptionDTO store = scr.getComponentDescriptionDTO(Osgi.bundle(context, "io.msb.store"),
                MsbPlatform.STORE_PID);
        AtomicReference<String> failures = new AtomicReference<>("");
        Osgi.eventually("the store component failed to activate with maxConnections=0", () -> {
            failures.set(scr.getComponentConfigurationDTOs(store).stream()
                    .filter(c -> c.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                            && Integer.valueOf(0).equals(c.properties.get("maxConnections")))
                    .map(c -> c.failure).reduce("", String::concat));
            return !failures.get().isEmpty();
        });
        assertTrue("activation failure names maxConnections: " + failures, failures.get().contains("maxConnections"));
        assertNull("a store with maxConnections=0 must not be registered",
                context.getServiceReferences(SandboxStore.class, "(maxConnections=0)").stream().findFirst().orElse(null));

        // A valid value again brings the store back.
        Osgi.configure(configAdmin, MsbPlatform.STORE_PID, Map.of("maxConnections", 2));
        Osgi.eventually("store usable again", () -> Osgi.service(context, SandboxStore.class)
                .listSandboxes(LabelSelector.ALL) != null);
        assertEquals(2, ((Number) configAdmin.getConfiguration(MsbPlatform.STORE_PID, "?").getProperties()
                .get("maxConnections")).intValue());
    }

    /** Decision 1707: a new default backend affects new creates only, so nothing restarts for it. */
    @Test
    public void aNewDefaultBackendAppliesInPlace() throws Exception {
        long router = (Long) context.getServiceReference(SandboxService.class).getProperty(Constants.SERVICE_ID);
        long local = (Long) context.getServiceReference(SandboxBackend.class).getProperty(Constants.SERVICE_ID);

        Osgi.configure(configAdmin, MsbPlatform.RUNTIME_PID, Map.of("home", home().toString(), "defaultBackend",
                "nosuch"));

        Osgi.eventually("the platform reports the new default", () ->
                "nosuch".equals(Osgi.service(context, SandboxService.class).platform().defaultBackend()));
        assertEquals("the SandboxService was re-registered", router,
                (long) (Long) context.getServiceReference(SandboxService.class).getProperty(Constants.SERVICE_ID));
        assertEquals("the local SandboxBackend was re-registered", local,
                (long) (Long) context.getServiceReference(SandboxBackend.class).getProperty(Constants.SERVICE_ID));
    }

    @Test
    public void aQemuConfigurationChangeKeepsTheBackendRegistered() throws Exception {
        long before = (Long) context.getServiceReference(VmmBackend.class).getProperty(Constants.SERVICE_ID);

        Osgi.configure(configAdmin, "io.msb.vmm.qemu", Map.of("accel", "tcg", "edited", "by-ConfigurationIT"));

        // decision 0813: the backend takes the change in place, so a create during an edit always finds one
        Osgi.eventually("the QEMU backend shows the edited configuration", () ->
                context.getServiceReferences(VmmBackend.class, "(&(accel=tcg)(edited=by-ConfigurationIT))").size() == 1);
        var after = context.getServiceReferences(VmmBackend.class, null);
        assertEquals("one VMM backend", 1, after.size());
        assertEquals("the backend's service was re-registered", before,
                (long) (Long) after.iterator().next().getProperty(Constants.SERVICE_ID));
        assertTrue(Osgi.service(context, VmmBackend.class).available());
    }

    private static String homeFilter(Path home) {
        return homeFilter("msb.home", home);
    }

    private static String homeFilter(String property, Path home) {
        return "(" + property + "=" + Osgi.escape(home.toString()) + ")";
    }

    private static boolean hasFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.findAny().isPresent();
        }
    }
}
