package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.BootFailedException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.image.ImageConfig;
import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import io.msb.protocol.AgentConnector;
import io.msb.protocol.GuestBootstrap;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.store.SandboxStore;
import io.msb.testing.AgentdProcessVmmForTests;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime's side of a sandbox's network: attached before its VM starts (the attachment reaching both the VMM
 * and the guest's bootstrap), released on every way a run ends, attached again for a running sandbox after a
 * restart, and refused by name when asked for without a network service. VMs are agentd processes.
 */
class NetworkAttachTest {
    @TempDir
    Path home;

    /** The real store and rootfs bundles in an embedded Felix, as SandboxLifecycleTest uses them. */
    private EmbeddedMsb msb;
    private SandboxStore store;
    private RootfsBuilder rootfs;
    private Path rootImage;
    private final List<SandboxLifecycle> runtimes = new ArrayList<>();
    private final List<AgentdProcessVmmForTests> vmms = new ArrayList<>();
    private final RecordingNetworkServiceForTests network = new RecordingNetworkServiceForTests();

    @BeforeEach
    void open() throws Exception {
        assumeTrue(Files.isExecutable(AgentdProcessVmmForTests.AGENTD),
                "needs the agentd binary (built by native/agentd): " + AgentdProcessVmmForTests.AGENTD);
        msb = EmbeddedMsb.builder(home).bundles("io.msb.store", "io.msb.rootfs")
                .configure("io.msb.store", Map.of("maxConnections", 4))
                .configure("io.msb.rootfs", Map.of("defaultUpperSizeMib", 16, "buildThreads", 1)).start();
        store = msb.service(SandboxStore.class);
        rootfs = msb.service(RootfsBuilder.class);
        rootImage = Files.write(home.resolve("root.img"), new byte[4096]);
    }

    @AfterEach
    void close() {
        runtimes.forEach(SandboxLifecycle::deactivate);
        vmms.forEach(AgentdProcessVmmForTests::destroyAll);
        if (msb != null) {
            msb.close();
        }
    }

    /** A runtime over the test's store and home, booting with {@code vmm}, asking {@code networks}. */
    private SandboxLifecycle runtime(VmmBackend vmm, NetworkService networks) {
        SandboxLifecycle r = new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofMillis(500)),
                () -> List.of(vmm), AgentConnector.withDefaults(),
                () -> null, () -> rootfs, () -> networks);
        runtimes.add(r);
        return r;
    }

    private AgentdProcessVmmForTests vmm(String... command) {
        AgentdProcessVmmForTests v = command.length == 0 ? new AgentdProcessVmmForTests()
                : AgentdProcessVmmForTests.running(command);
        vmms.add(v);
        return v;
    }

    /** {@code vmm}, noting each start among the network service's events, so their order shows. */
    private VmmBackend noting(AgentdProcessVmmForTests vmm) {
        return new VmmBackend() {
            public String name() {
                return vmm.name();
            }

            public boolean available() {
                return true;
            }

            public VmmCapabilities capabilities() {
                return vmm.capabilities();
            }

            public VmHandle start(VmSpec spec) {
                network.events.add("start " + spec.sandboxName());
                return vmm.start(spec);
            }

            public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
                return vmm.reattach(sandboxName, pid, stateDir);
            }
        };
    }

    private SandboxSpec.Builder networked(String name) {
        return SandboxSpec.builder(name).rootfs(new RootfsSource.DiskImage(rootImage, RootfsSource.DiskImage.Format.RAW))
                .network(NetworkConfig.defaults());
    }

    @Test
    void theNetworkIsAttachedBeforeTheVmStartsAndReachesTheVmm() {
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle runtime = runtime(noting(vmm), network);
        runtime.create(networked("web").build());
        assertEquals(List.of("attach web", "start web"), network.events);
        assertEquals(network.attached.get("web"), vmm.started().get(0).network());
        assertEquals(Optional.of(SandboxLifecycle.addresses(network.attached.get("web"))),
                runtime.get("web").orElseThrow().addresses(), "inspect shows the addresses");

        runtime.create(SandboxSpec.builder("quiet").rootfs(new RootfsSource.DiskImage(rootImage,
                RootfsSource.DiskImage.Format.RAW)).build());
        assertNull(vmm.started().get(1).network(), "no network asked, none attached");
        assertEquals(List.of("attach web", "start web", "start quiet"), network.events);
    }

    @Test
    void theGuestsBootstrapCarriesTheAttachmentsAddresses() {
        var attachment = RecordingNetworkServiceForTests.attachment(home);
        GuestBootstrap b = VmBooter.bootstrap(networked("g").build(), new ImageConfig(null, null, null, null, null, null),
                attachment);
        assertEquals(GuestBootstrap.Network.of(attachment), b.network());
        assertEquals("172.16.0.2", b.network().address());
        assertEquals("172.16.0.1", b.network().gateway());
        assertNull(VmBooter.bootstrap(networked("g").build(), new ImageConfig(null, null, null, null, null, null),
                null).network());
    }

    @Test
    void stopKillAndRemoveReleaseTheNetworkAfterTheVm() {
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle runtime = runtime(noting(vmm), network);
        runtime.create(networked("a").build());
        runtime.stop("a", Duration.ofSeconds(5));
        assertFalse(vmm.processes().get(0).isAlive());
        assertEquals(List.of("attach a", "start a", "detach a"), network.events);

        runtime.start("a");
        assertEquals(List.of("attach a", "start a", "detach a", "attach a", "start a"), network.events);
        runtime.kill("a");
        assertEquals("detach a", network.events.get(network.events.size() - 1));

        runtime.start("a");
        runtime.remove("a", true);
        assertEquals("detach a", network.events.get(network.events.size() - 1));
        assertTrue(network.attached.isEmpty());

        runtime.create(networked("e").ephemeral(true).build());
        runtime.stop("e", Duration.ofSeconds(5));
        assertTrue(runtime.get("e").isEmpty());
        assertTrue(network.attached.isEmpty(), "an ephemeral sandbox's network goes with it");
    }

    @Test
    void aCrashedVmReleasesItsNetwork() throws Exception {
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle runtime = runtime(vmm, network);
        runtime.create(networked("c").build());
        vmm.processes().get(0).destroyForcibly().waitFor();
        assertEquals(SandboxStatus.CRASHED, runtime.get("c").orElseThrow().status());
        assertTrue(network.attached.isEmpty(), network.events.toString());
        assertEquals(List.of("attach c", "detach c"), network.events);
    }

    @Test
    void aFailedCreateReleasesTheNetworkItAttached() {
        AgentdProcessVmmForTests vmm = vmm("sh", "-c", "echo 'Kernel panic - not syncing'; exit 1");
        SandboxLifecycle runtime = runtime(noting(vmm), network);
        assertThrows(BootFailedException.class, () -> runtime.create(networked("broken").build()));
        assertEquals(List.of("attach broken", "start broken", "detach broken"), network.events);
        assertTrue(runtime.get("broken").isEmpty());
        assertFalse(Files.exists(home.resolve("sandboxes/broken")));
    }

    @Test
    void aFailedStartReleasesTheNetworkToo() {
        AgentdProcessVmmForTests good = vmm();
        SandboxLifecycle runtime = runtime(good, network);
        runtime.create(networked("s").build());
        runtime.stop("s", Duration.ofSeconds(5));
        network.events.clear();
        runtime.deactivate();
        SandboxLifecycle failing = runtime(vmm("sh", "-c", "exit 1"), network);
        assertThrows(BootFailedException.class, () -> failing.start("s"));
        assertEquals(List.of("attach s", "detach s"), network.events);
        assertEquals(SandboxStatus.STOPPED, failing.get("s").orElseThrow().status());
    }

    @Test
    void aRestartedRuntimeAttachesTheNetworkOfARunningSandboxAgain() {
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle first = runtime(vmm, network);
        first.create(networked("keep").detached(true).build());
        first.deactivate(); // the host process lets go; the VM keeps running, its network service went with it

        RecordingNetworkServiceForTests restarted = new RecordingNetworkServiceForTests();
        SandboxLifecycle second = runtime(vmm, restarted);
        assertEquals(List.of("attach keep"), restarted.events, "recovery attached it without being asked");
        assertEquals(SandboxStatus.RUNNING, second.get("keep").orElseThrow().status());
        assertTrue(second.get("keep").orElseThrow().addresses().isPresent());
        second.updateNetworkPolicy("keep", NetworkPolicy.none());
        assertEquals("update keep " + NetworkPolicy.none().toMap(), restarted.events.get(1));
        second.stop("keep", Duration.ofSeconds(5));
        assertEquals("detach keep", restarted.events.get(2));
    }

    @Test
    void aNetworkWithoutANetworkServiceIsRefusedByNameBeforeAnythingIsWritten() {
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle runtime = runtime(vmm, null);
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> runtime.create(networked("n").build()));
        assertTrue(e.getMessage().contains("network") && e.getMessage().contains("io.msb.network"), e.getMessage());
        assertTrue(runtime.get("n").isEmpty());
        assertTrue(vmm.started().isEmpty());
        // without a network the same runtime boots as before
        runtime.create(SandboxSpec.builder("n").rootfs(new RootfsSource.DiskImage(rootImage,
                RootfsSource.DiskImage.Format.RAW)).network(NetworkConfig.disabled()).build());
        assertEquals(SandboxStatus.RUNNING, runtime.get("n").orElseThrow().status());
    }

    private SandboxSpec.Builder withSecret(String name) {
        return networked(name).network(NetworkConfig.defaults().withSecrets(new io.msb.api.network.SecretsConfig(
                List.of(SandboxSecretsTest.inline("TOKEN")), io.msb.api.network.ViolationAction.BLOCK_AND_LOG)));
    }

    @Test
    void secretsReachTheNetworkResolvedTheGuestAsPlaceholdersAndNoRecordKeepsAValue() throws Exception {
        network.caPem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
        SandboxLifecycle runtime = runtime(vmm(), network);
        SandboxSecretsTest.MemoryStore secrets = new SandboxSecretsTest.MemoryStore();
        runtime.secretStore(secrets);
        List<String> installed = new java.util.concurrent.CopyOnWriteArrayList<>();
        runtime.booter().caInstaller((fs, pem, file) -> installed.add(pem));

        runtime.create(withSecret("s").build());
        var attached = network.configs.get("s").secrets().entries().get(0);
        assertEquals(SandboxSecretsTest.VALUE, attached.value(), "the network gets the value");
        assertNull(attached.source());
        assertEquals(List.of(network.caPem), installed, "the guest is given the CA");
        String json = store.findSandbox("s").orElseThrow().configJson();
        assertFalse(json.contains(SandboxSecretsTest.VALUE), json);
        assertTrue(json.contains("sandbox/s/TOKEN"), json);
        assertFalse(runtime.get("s").orElseThrow().spec().network().toMap().toString()
                .contains(SandboxSecretsTest.VALUE), "inspect holds no value");
        SandboxSpec stored = runtime.get("s").orElseThrow().spec();
        GuestBootstrap b = VmBooter.bootstrap(stored, new ImageConfig(null, null, null, null, null, null), null);
        assertTrue(b.defaultEnv().contains(new GuestBootstrap.EnvVar("TOKEN", "$MSB_TOKEN")), b.defaultEnv().toString());
        assertFalse(b.defaultEnv().toString().contains(SandboxSecretsTest.VALUE));
        assertEquals(Map.of("sandbox/s/TOKEN", SandboxSecretsTest.VALUE), secrets.values);

        // a restart resolves the reference again
        runtime.stop("s", Duration.ofSeconds(5));
        network.configs.clear();
        runtime.start("s");
        assertEquals(SandboxSecretsTest.VALUE, network.configs.get("s").secrets().entries().get(0).value());

        // block-and-terminate: the network stops it, the run records why
        network.terminators.get("s").accept("secret TOKEN was bound for evil.example, which it does not allow");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (runtime.get("s").orElseThrow().status() != SandboxStatus.STOPPED && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        var info = runtime.get("s").orElseThrow();
        assertEquals(SandboxStatus.STOPPED, info.status());
        assertEquals(io.msb.api.TerminationReason.SECRET_VIOLATION, info.currentRun().orElseThrow().reason());

        runtime.remove("s", true);
        assertTrue(secrets.values.isEmpty(), "remove forgets the values");
    }

    @Test
    void strictAndTlsReachTheNetworkAsGiven() {
        network.caPem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
        SandboxLifecycle runtime = runtime(vmm(), network);
        runtime.booter().caInstaller((fs, pem, file) -> { });
        // as HTTP reads the SDK's body
        NetworkConfig asked = NetworkConfig.fromMap(Map.of("enabled", true, "strict", true,
                "tls", Map.of("enabled", true, "intercepted_ports", List.of(443, 8443))));
        runtime.create(networked("st").network(asked).build());
        NetworkConfig attached = network.configs.get("st");
        assertTrue(attached.strict());
        assertEquals(List.of(443, 8443), attached.tls().interceptedPorts());
        assertTrue(runtime.get("st").orElseThrow().spec().network().strict(), "inspect shows it");
    }

    @Test
    void aRestartedRuntimeResolvesTheSecretsOfARunningSandboxAgain() {
        network.caPem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
        AgentdProcessVmmForTests vmm = vmm();
        SandboxLifecycle first = runtime(vmm, network);
        SandboxSecretsTest.MemoryStore secrets = new SandboxSecretsTest.MemoryStore();
        first.secretStore(secrets);
        first.booter().caInstaller((fs, pem, file) -> { });
        first.create(withSecret("keep").detached(true).build());
        first.deactivate();

        RecordingNetworkServiceForTests restarted = new RecordingNetworkServiceForTests();
        restarted.caPem = network.caPem;
        SandboxLifecycle second = runtime(vmm, restarted);
        assertTrue(restarted.events.isEmpty(), "without the secret store the values cannot be resolved yet");
        second.secretStore(secrets); // bound after the recovery, as OSGi may
        assertEquals(List.of("attach keep"), restarted.events);
        assertEquals(SandboxSecretsTest.VALUE, restarted.configs.get("keep").secrets().entries().get(0).value());
        second.stop("keep", Duration.ofSeconds(5));
    }

    @Test
    void trustHostCasGivesTheGuestTheHostsBundle() {
        assumeTrue(GuestCa.HOST_BUNDLES.stream().anyMatch(b -> Files.isRegularFile(Path.of(b))), "no host CA bundle");
        SandboxLifecycle runtime = runtime(vmm(), network);
        Map<String, String> installed = new java.util.concurrent.ConcurrentHashMap<>();
        runtime.booter().caInstaller((fs, pem, file) -> installed.put(file, pem));
        runtime.create(networked("cas").network(NetworkConfig.fromMap(Map.of("trust_host_cas", true))).build());
        assertEquals(Map.of(GuestCa.HOST_FILE, GuestCa.hostBundle()), installed, "the host's, and no interception CA");
        assertTrue(network.configs.get("cas").trustHostCas());
    }

    @Test
    void aFailedCreateLeavesNoSecretBehind() {
        network.caPem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
        SandboxLifecycle runtime = runtime(vmm("sh", "-c", "exit 1"), network);
        SandboxSecretsTest.MemoryStore secrets = new SandboxSecretsTest.MemoryStore();
        runtime.secretStore(secrets);
        assertThrows(BootFailedException.class, () -> runtime.create(withSecret("f").build()));
        assertTrue(runtime.get("f").isEmpty());
        assertTrue(secrets.values.isEmpty(), secrets.values.keySet().toString());
    }

    @Test
    void secretsWithoutAnInterceptionCaOrWithAMissingEnvVariableAreRefusedBeforeAnythingIsWritten() {
        SandboxLifecycle runtime = runtime(vmm(), network);
        SandboxSecretsTest.MemoryStore secrets = new SandboxSecretsTest.MemoryStore();
        runtime.secretStore(secrets);
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> runtime.create(withSecret("n").build()));
        assertTrue(e.getMessage().startsWith("network.tls: "), e.getMessage());
        network.caPem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n";
        var fromEnv = new io.msb.api.network.SecretEntry("T", null,
                io.msb.api.network.SecretSource.env("MSB_TEST_SURELY_UNSET_VARIABLE"), null,
                List.of(io.msb.api.network.HostPattern.ANY), null, null, true);
        io.msb.api.InvalidConfigException missing = assertThrows(io.msb.api.InvalidConfigException.class,
                () -> runtime.create(networked("n").network(NetworkConfig.defaults().withSecrets(
                        new io.msb.api.network.SecretsConfig(List.of(fromEnv), null))).build()));
        assertEquals("network.secrets.secrets[0].source", missing.field());
        assertTrue(runtime.get("n").isEmpty());
        assertTrue(secrets.values.isEmpty());
        assertTrue(network.events.isEmpty(), network.events.toString());
    }
}
