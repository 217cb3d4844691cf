package io.msb.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import io.msb.api.LabelSelector;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxStatus;
import io.msb.api.SandboxService;
import io.msb.api.image.ImageService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.spi.VmmBackend;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.SatisfiedReferenceDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;
import org.osgi.framework.dto.ServiceReferenceDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/** The msb bundles start in Felix, wire their components together and expose their services and commands. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class PlatformWiringIT extends PlatformTestBase {
    @Test
    public void everyMsbBundleIsActive() {
        Map<String, Bundle> installed = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            if (b.getLocation().startsWith("mvn:io.msb/")) {
                installed.put(b.getSymbolicName(), b);
            }
        }
        List<String> problems = new ArrayList<>();
        for (String name : MsbPlatform.CORE_BUNDLES) {
            if (!installed.containsKey(name)) {
                problems.add(name + " missing (installed msb bundles: " + installed.keySet() + ")");
            }
        }
        // The image, rootfs and VMM bundles are provisioned too: whatever is installed must also start.
        installed.forEach((name, b) -> {
            if (b.getState() != Bundle.ACTIVE) {
                problems.add(name + " " + Osgi.whyNotActive(b));
            }
        });
        assertTrue("msb bundles not active: " + problems, problems.isEmpty());
    }

    @Test
    public void noMsbComponentIsBrokenOrMissingAReference() {
        List<String> problems = new ArrayList<>();
        for (ComponentConfigurationDTO c : configurations(d -> d.bundle.symbolicName.startsWith("io.msb."))) {
            if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                problems.add(c.description.name + " failed to activate: " + c.failure);
            } else if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                List<String> missing = new ArrayList<>();
                for (UnsatisfiedReferenceDTO r : c.unsatisfiedReferences) {
                    missing.add(r.name + " " + r.target);
                }
                problems.add(c.description.name + " lacks " + missing);
            }
        }
        assertTrue("msb components not satisfied: " + problems, problems.isEmpty());
    }

    /** The runtime attaches networks through io.msb.network's service, so networked sandboxes really get one. */
    @Test
    public void theRuntimeIsBoundToTheNetworkService() {
        List<String> bound = new ArrayList<>();
        for (ComponentConfigurationDTO c : configurations(d -> d.name.equals(MsbPlatform.RUNTIME_PID))) {
            for (SatisfiedReferenceDTO r : c.satisfiedReferences) {
                for (ServiceReferenceDTO service : r.boundServices) {
                    bound.add(r.name + " " + context.getBundle(service.bundle).getSymbolicName());
                }
            }
        }
        assertTrue("runtime's bound references: " + bound, bound.contains("NetworkService io.msb.network"));
    }

    @Test
    public void coreServicesAreRegistered() throws Exception {
        Path home = Path.of(context.getProperty(MsbPlatform.HOME_PROPERTY));
        assertNotNull(Osgi.service(context, SandboxStore.class));
        assertNotNull(Osgi.service(context, ImageStore.class));

        SandboxService sandboxes = Osgi.service(context, SandboxService.class,
                "(msb.home=" + Osgi.escape(home.toString()) + ")");
        // A live round trip through the chain store -> H2 -> runtime.
        withStoppedSandbox("wiring-core", "alpine:3.20", Map.of("team", "a"), store -> {
            SandboxInfo info = sandboxes.get("wiring-core").orElseThrow(
                    () -> new AssertionError("SandboxService does not see the stored sandbox"));
            assertEquals(SandboxStatus.STOPPED, info.status());
            assertEquals(RootfsSource.image("alpine:3.20"), info.spec().rootfs());
            assertEquals(List.of("wiring-core"), sandboxes.list(LabelSelector.parse("team=a")).stream()
                    .map(SandboxInfo::name).toList());
        });

        List<String> backends = Osgi.services(context, SandboxBackend.class).stream()
                .map(SandboxBackend::name).toList();
        assertTrue("a SandboxBackend named local, got " + backends, backends.contains("local"));
    }

    @Test
    public void imageRootfsAndVmmServicesAreRegistered() {
        assertNotNull(Osgi.service(context, ImageService.class));
        assertNotNull(Osgi.service(context, RootfsBuilder.class));
        List<String> vmms = Osgi.services(context, VmmBackend.class).stream().map(VmmBackend::name).toList();
        assertTrue("a VmmBackend named qemu, got " + vmms, vmms.contains("qemu"));
    }

    @Test
    public void componentsNeverSawAnUnconfiguredHome() {
        // The configuration is in place before SCR starts the components, so the fallback home stays unused.
        Path home = Path.of(context.getProperty(MsbPlatform.HOME_PROPERTY));
        Osgi.service(context, SandboxService.class);
        assertFalse("a component used the fallback home instead of its configured one",
                Files.exists(home.resolve(MsbPlatform.UNCONFIGURED)));
    }

    @Test
    public void gogoCommandsAreRegisteredInScopeMsb() throws Exception {
        Osgi.eventually("msb commands registered", () -> context.getServiceReferences((String) null,
                "(osgi.command.scope=msb)") != null);
        Set<String> functions = new TreeSet<>();
        for (ServiceReference<?> ref : context.getServiceReferences((String) null, "(osgi.command.scope=msb)")) {
            Object f = ref.getProperty("osgi.command.function");
            if (f instanceof String[] array) {
                functions.addAll(Arrays.asList(array));
            } else if (f != null) {
                functions.add(f.toString());
            }
        }
        assertTrue("msb commands " + functions, functions.containsAll(Set.of("ls", "inspect", "rm", "version")));
    }

    @Test
    public void msbVersionRunsInAGogoSession() throws Exception {
        Bundle shell = Osgi.bundle(context, "io.msb.shell");
        String version = shell.getVersion().getMajor() + "." + shell.getVersion().getMinor() + "."
                + shell.getVersion().getMicro();
        String out = Gogo.run(context, "msb:version");
        assertTrue("msb:version printed " + out + ", expected the version " + version, out.contains(version));
    }

    @Test
    public void msbLsListsTheSandboxesInAGogoSession() throws Exception {
        withStoppedSandbox("wiring-ls", "alpine:3.20", Map.of(), store -> {
            String out = Gogo.run(context, "msb:ls");
            assertTrue("msb:ls printed " + out, out.contains("wiring-ls"));
        });
    }

    @Test
    public void msbInspectAndRmWorkInAGogoSession() throws Exception {
        withStoppedSandbox("wiring-rm", "busybox:1.36", Map.of(), store -> {
            String inspect = Gogo.run(context, "msb:inspect wiring-rm");
            assertTrue("msb:inspect printed " + inspect, inspect.contains("busybox:1.36"));

            Gogo.run(context, "msb:rm wiring-rm");
            assertTrue("msb:rm left the record behind", store.findSandbox("wiring-rm").isEmpty());
        });
    }

    @Test
    public void configurableBundlesHaveMetatype() {
        // The Web Console edits configurations through these definitions.
        MetaTypeService metatype = Osgi.service(context, MetaTypeService.class);
        assertAttributes(metatype, "io.msb.store", MsbPlatform.STORE_PID, "home", "maxConnections");
        assertAttributes(metatype, "io.msb.runtime", MsbPlatform.RUNTIME_PID,
                "home", "defaultCpus", "defaultMemoryMib", "defaultBackend", "stopGraceSeconds");
        for (String pid : MsbPlatform.OTHER_HOME_PIDS) {
            assertAttributes(metatype, pid, pid, "home");
        }
    }

    private void assertAttributes(MetaTypeService metatype, String bundle, String pid, String... ids) {
        MetaTypeInformation info = metatype.getMetaTypeInformation(Osgi.bundle(context, bundle));
        assertNotNull(bundle + " has no metatype", info);
        assertTrue(bundle + " metatype PIDs " + Arrays.toString(info.getPids()),
                Arrays.asList(info.getPids()).contains(pid));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(pid, null);
        Set<String> found = new TreeSet<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            found.add(ad.getID());
        }
        assertTrue(pid + " attributes " + found, found.containsAll(List.of(ids)));
    }

    /** The configurations of the components (as SCR sees them now) whose descriptions pass {@code which}. */
    private List<ComponentConfigurationDTO> configurations(Predicate<ComponentDescriptionDTO> which) {
        ServiceComponentRuntime scr = Osgi.service(context, ServiceComponentRuntime.class);
        return scr.getComponentDescriptionDTOs().stream().filter(which)
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream()).toList();
    }

    /** Runs {@code body} while the store holds a stopped sandbox record {@code name}; the record is deleted after. */
    private void withStoppedSandbox(String name, String image, Map<String, String> labels, StoreBody body)
            throws Exception {
        SandboxStore store = Osgi.service(context, SandboxStore.class);
        store.insertSandbox(Records.stopped(name, image, labels));
        try {
            body.run(store);
        } finally {
            store.deleteSandbox(name);
        }
    }

    private interface StoreBody {
        void run(SandboxStore store) throws Exception;
    }
}
