package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.LabelSelector;
import io.msb.api.NotFoundException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.store.SandboxStore;
import io.msb.protocol.AgentConnector;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router in front of the real local runtime (over the real store) and a fake remote backend. */
class SandboxRouterTest {
    @TempDir
    Path home;

    private EmbeddedMsb msb;
    private SandboxStore store;
    private SandboxLifecycle local;
    private final InMemorySandboxBackendForTests cloud = new InMemorySandboxBackendForTests("cloud");
    /** A VMM backend the local runtime has, which no test here asks to start a VM. */
    private final List<VmmBackend> vmms = List.of(new VmmBackend() {
        public String name() {
            return "qemu";
        }

        public boolean available() {
            return true;
        }

        public VmmCapabilities capabilities() {
            return new VmmCapabilities(1, 4, 64, 4096, Set.of(VmmCapabilities.Feature.TCG));
        }

        public VmHandle start(VmSpec spec) {
            throw new AssertionError("no VM is started by the router's tests");
        }

        public Optional<VmHandle> reattach(String name, long pid, Path dir) {
            return Optional.empty();
        }
    });

    @BeforeEach
    void open() throws Exception {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.store").start();
        store = msb.service(SandboxStore.class);
        local = new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofMillis(500)),
                () -> vmms, AgentConnector.withDefaults(), () -> null, () -> null);
    }

    @AfterEach
    void close() {
        local.deactivate();
        msb.close();
    }

    private SandboxRouter router(String defaultBackend) {
        return new SandboxRouter(local, () -> List.of(cloud), () -> List.of("qemu", "libkrun"), defaultBackend);
    }

    /** A stopped local sandbox, written to the store as the runtime would have. */
    private void localStopped(String name) {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, SpecJson.write(spec(name).backend("qemu").build()),
                SandboxStatus.STOPPED, false, Map.of(), now, now));
    }

    private static SandboxSpec.Builder spec(String name) {
        return SandboxSpec.builder(name).rootfs(new RootfsSource.HostDirectory(Path.of("/")));
    }

    @Test
    void aCreateNamingASandboxBackendGoesThereAndLaterCallsFollowTheSandbox() {
        SandboxRouter router = router("qemu");
        assertEquals("remote", router.create(spec("remote").backend("cloud").build()).name());
        assertEquals(List.of("create remote", "handle remote"), cloud.calls());
        assertEquals("cloud", router.get("remote").orElseThrow().spec().backend(), "the stored spec names it");

        router.stop("remote", Duration.ofSeconds(1));
        assertEquals(SandboxStatus.STOPPED, router.get("remote").orElseThrow().status());
        SandboxInfo info = router.get("remote").orElseThrow();
        assertEquals("remote", router.withSandbox(info.id(), n -> n));
        assertEquals(info, router.getById(info.id()).orElseThrow());
        router.remove("remote", false);
        assertTrue(cloud.calls().containsAll(List.of("stop remote", "withSandbox remote", "remove remote")),
                cloud.calls().toString());
        assertTrue(router.get("remote").isEmpty());
    }

    @Test
    void theConfiguredDefaultMaySendCreatesToASandboxBackend() {
        SandboxRouter router = router("cloud");
        router.create(spec("by-default").build());
        assertEquals("cloud", cloud.get("by-default").orElseThrow().spec().backend());
        assertEquals("cloud", router.platform().defaultBackend());
        assertFalse(router.platform().backends().get(0).selected(), "creates go to cloud, not to qemu");
    }

    @Test
    void aNameIsOneSandboxsOnAllBackends() {
        localStopped("here");
        cloud.create(spec("there").build());
        SandboxRouter router = router("qemu");
        AlreadyExistsException e = assertThrows(AlreadyExistsException.class,
                () -> router.create(spec("here").backend("cloud").build()));
        assertTrue(e.getMessage().contains("on backend local"), e.getMessage());
        e = assertThrows(AlreadyExistsException.class, () -> router.create(spec("there").build()));
        assertTrue(e.getMessage().contains("on backend cloud"), e.getMessage());
        assertEquals(List.of("create there"), cloud.calls().stream().filter(c -> c.startsWith("create")).toList(),
                "the refused remote create never reached the backend");
    }

    @Test
    void anUnknownOrBadlyNamedBackendIsRefusedNamingTheKnownOnes() {
        SandboxRouter router = router("qemu");
        InvalidConfigException unknown = assertThrows(InvalidConfigException.class,
                () -> router.create(spec("x").backend("nosuch").build()));
        assertEquals("backend", unknown.field());
        assertEquals("invalid config: backend: no backend named nosuch is running (known: qemu, libkrun, local, cloud)",
                unknown.getMessage());
        assertEquals("backend", assertThrows(InvalidConfigException.class,
                () -> router.create(spec("x").backend("Cloud!").build())).field());
        assertTrue(router.get("x").isEmpty() && cloud.calls().isEmpty());
    }

    @Test
    void listsMergeAllBackendsByNameAndPage() {
        localStopped("b-local");
        localStopped("d-local");
        cloud.create(spec("a-cloud").build());
        cloud.create(spec("c-cloud").build());
        SandboxRouter router = router("qemu");
        assertEquals(List.of("a-cloud", "b-local", "c-cloud", "d-local"),
                router.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());
        assertEquals(List.of("b-local", "c-cloud"),
                router.list(LabelSelector.ALL, "a-cloud", 2).stream().map(SandboxInfo::name).toList());
        assertEquals(List.of("d-local"), router.list(LabelSelector.ALL, "c-cloud", 2).stream().map(SandboxInfo::name)
                .toList());
    }

    @Test
    void aRemoteThatFailsLeavesTheLocalSandboxesReachable() {
        localStopped("mine");
        cloud.create(spec("far").build());
        cloud.failing = true;
        SandboxRouter router = router("qemu");
        assertEquals(List.of("mine"), router.list(LabelSelector.ALL).stream().map(SandboxInfo::name).toList());
        router.remove("mine", false);
        assertTrue(store.findSandbox("mine").isEmpty());
        assertThrows(NotFoundException.class, () -> router.stop("far", Duration.ZERO),
                "a sandbox no backend answers for is not found (locally)");
    }

    @Test
    void aLocalCallGoesToTheLocalRuntime() {
        localStopped("mine");
        SandboxRouter router = router("qemu");
        assertEquals("qemu", router.get("mine").orElseThrow().spec().backend());
        assertTrue(router.platform().backends().get(0).selected());
        assertEquals("qemu", router.platform().defaultBackend());
        router.remove("mine", false);
        assertTrue(cloud.calls().isEmpty(), cloud.calls().toString());
    }
}
