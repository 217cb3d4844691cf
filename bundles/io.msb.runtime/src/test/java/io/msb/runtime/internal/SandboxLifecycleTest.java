package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.BootFailedException;
import io.msb.api.MsbException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxHandle;
import io.msb.api.exec.ExecOptions;
import io.msb.api.image.RegistryUnreachableException;
import io.msb.api.exec.ExecResult;
import io.msb.protocol.AgentConnector;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.LabelSelector;
import io.msb.api.NotFoundException;
import io.msb.api.RunInfo;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.api.image.ImageService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.testing.AgentdProcessVmmForTests;
import io.msb.testing.EmbeddedMsb;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxLifecycleTest {
    @TempDir
    Path home;

    /** The real store, image and rootfs bundles in an embedded Felix: the runtime's collaborators, by their services. */
    private EmbeddedMsb msb;
    private SandboxStore store;
    private RootfsBuilder rootfs;
    private final List<VmmBackend> backends = new ArrayList<>();
    private final List<Process> strays = new ArrayList<>();
    private SandboxLifecycle lifecycle;

    private Path rootImage;

    @BeforeEach
    void open() throws Exception {
        assumeTrue(Files.isExecutable(AgentdProcessVmmForTests.AGENTD),
                "needs the agentd binary (built by native/agentd): " + AgentdProcessVmmForTests.AGENTD);
        msb = EmbeddedMsb.builder(home).bundles("io.msb.store", "io.msb.image", "io.msb.rootfs")
                .configure("io.msb.store", Map.of("maxConnections", 4))
                .configure("io.msb.rootfs", Map.of("defaultUpperSizeMib", 16, "buildThreads", 1)).start();
        store = msb.service(SandboxStore.class);
        rootfs = msb.service(RootfsBuilder.class);
        lifecycle = lifecycle();
        rootImage = Files.write(home.resolve("root.img"), new byte[4096]);
    }

    /** A runtime over the same store and home, as after a restart of the host process. */
    private SandboxLifecycle lifecycle() {
        return lifecycle(store);
    }

    private SandboxLifecycle lifecycle(io.msb.api.store.SandboxStore store) {
        return new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofMillis(500)),
                () -> backends, AgentConnector.withDefaults(),
                () -> null, () -> rootfs);
    }

    @AfterEach
    void close() {
        lifecycle.deactivate();
        backends.stream().filter(AgentdProcessVmmForTests.class::isInstance).map(AgentdProcessVmmForTests.class::cast)
                .forEach(AgentdProcessVmmForTests::destroyAll);
        strays.forEach(Process::destroyForcibly);
        msb.close();
    }

    private AgentdProcessVmmForTests backend(String... command) {
        AgentdProcessVmmForTests b = command.length == 0 ? new AgentdProcessVmmForTests()
                : AgentdProcessVmmForTests.running(command);
        backends.add(b);
        return b;
    }

    private SandboxSpec.Builder spec(String name) {
        return SandboxSpec.builder(name).rootfs(new RootfsSource.DiskImage(rootImage, RootfsSource.DiskImage.Format.RAW));
    }

    private Process sleeper() throws Exception {
        Process p = new ProcessBuilder("sleep", "1000").start();
        strays.add(p);
        return p;
    }

    /** A pid that certainly belonged to a process that has exited (and was reaped). */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private void recordRunning(String name, long pid, Map<String, String> labels) {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, SpecJson.write(SandboxSpec.builder(name).image("alpine").labels(labels).cpus(1).memoryMib(256)
                .hostname(name).build()), SandboxStatus.CREATED, false, labels, now, now));
        store.startRun(name, pid, now, SandboxStatus.RUNNING);
    }

    private SandboxInfo info(String name) {
        return lifecycle.get(name).orElseThrow();
    }

    @Test
    void createRecordsARunningSandboxWithDefaultsApplied() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("dev").label("team", "a").build());
        SandboxInfo info = info("dev");
        assertEquals(SandboxStatus.RUNNING, info.status());
        assertEquals(1, info.spec().cpus());
        assertEquals(256, info.spec().memoryMib());
        assertEquals("dev", info.spec().hostname());
        RunInfo run = info.currentRun().orElseThrow();
        assertTrue(run.running());
        assertEquals(vmm.processes().get(0).pid(), run.pid());
        assertEquals(home.resolve("sandboxes/dev"), vmm.started().get(0).stateDir());
        assertTrue(Files.isDirectory(home.resolve("sandboxes/dev/logs")));
    }

    /** Decision 1871: every observer hears of creates, boots, execs, stops and failures; one that throws changes nothing. */
    @Test
    void observersAreToldWhatHappenedAndOneThatThrowsBreaksNothing() {
        backend();
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.msb.api.spi.PlatformObserver broken = new io.msb.api.spi.PlatformObserver() {
            @Override
            public void created(String sandbox, String backend, Duration took) {
                throw new IllegalStateException("broken observer");
            }
        };
        lifecycle.setObservers(List.of(broken, new io.msb.api.spi.PlatformObserver() {
            @Override
            public void created(String sandbox, String backend, Duration took) {
                heard.add("created " + sandbox + " " + backend + " " + !took.isNegative());
            }

            @Override
            public void started(String sandbox, String backend, Duration took) {
                heard.add("started " + sandbox + " " + backend);
            }

            @Override
            public void stopped(String sandbox, io.msb.api.TerminationReason reason) {
                heard.add("stopped " + sandbox + " " + reason);
            }

            @Override
            public void failed(String sandbox, String stage, Throwable cause) {
                heard.add("failed " + sandbox + " " + stage + " " + cause.getClass().getSimpleName());
            }

            @Override
            public void execFinished(String sandbox, Duration took) {
                heard.add("exec " + sandbox);
            }
        }));
        lifecycle.create(spec("seen").build());
        assertEquals(SandboxStatus.RUNNING, info("seen").status(), "the throwing observer did not fail the create");
        lifecycle.handle("seen").exec(ExecOptions.of("true").build());
        lifecycle.stop("seen", Duration.ofSeconds(5));
        assertThrows(InvalidConfigException.class, () -> lifecycle.create(spec("bad").hostname("h".repeat(65)).build()));
        assertEquals(List.of("started seen qemu", "created seen qemu true", "exec seen",
                "stopped seen SHUTDOWN_REQUESTED", "failed bad create InvalidConfigException"), heard);
    }

    /** Pages and lookups by id reconcile like every other read, and an id is never handed to another sandbox. */
    @Test
    void pagesAndIdsAreReconciledReads() throws Exception {
        Process alive = sleeper();
        recordRunning("a-live", alive.pid(), Map.of("k", "v"));
        recordRunning("b-dead", deadPid(), Map.of("k", "v"));
        recordRunning("c-other", alive.pid(), Map.of());

        List<SandboxInfo> first = lifecycle.list(LabelSelector.parse("k=v"), null, 1);
        assertEquals(List.of("a-live"), first.stream().map(SandboxInfo::name).toList());
        List<SandboxInfo> second = lifecycle.list(LabelSelector.parse("k=v"), "a-live", 5);
        assertEquals(List.of("b-dead"), second.stream().map(SandboxInfo::name).toList());
        assertEquals(SandboxStatus.CRASHED, second.get(0).status(), "a page reconciles what it shows");

        UUID id = info("a-live").id();
        assertEquals(store.findSandbox("a-live").orElseThrow().id(), id);
        assertEquals("a-live", lifecycle.getById(id).orElseThrow().name());
        assertTrue(lifecycle.getById(UUID.randomUUID()).isEmpty());
        UUID removed = second.get(0).id();
        lifecycle.remove("b-dead", true);
        assertTrue(lifecycle.getById(removed).isEmpty());
        recordRunning("b-dead", deadPid(), Map.of());
        UUID again = info("b-dead").id();
        assertFalse(again.equals(removed), "made again, the name has a new id");
        assertEquals("b-dead", lifecycle.getById(again).orElseThrow().name());
        assertTrue(lifecycle.getById(removed).isEmpty(), "the old id does not reach the new sandbox");
    }

    /** An id acts on its own sandbox only: once the name is made again, the old id is not found and nothing runs. */
    @Test
    void withSandboxActsOnTheIdsSandboxOnly() throws Exception {
        recordRunning("named", deadPid(), Map.of());
        UUID first = info("named").id();
        assertEquals("named!", lifecycle.withSandbox(first, name -> name + "!"));
        lifecycle.remove("named", true);
        recordRunning("named", deadPid(), Map.of());
        List<String> acted = new java.util.ArrayList<>();
        assertThrows(NotFoundException.class, () -> lifecycle.withSandbox(first, acted::add));
        assertEquals(List.of(), acted);
        assertEquals("named", lifecycle.withSandbox(info("named").id(), name -> name));
    }

    @Test
    void invalidSpecWritesNothing() {
        backend();
        assertThrows(InvalidConfigException.class, () -> lifecycle.create(spec("x").hostname("h".repeat(65)).build()));
        assertTrue(lifecycle.get("x").isEmpty());
        assertFalse(Files.exists(home.resolve("sandboxes/x")));
    }

    @Test
    void aPlainJavaRuntimePullsWithItsImageServiceBeforeWritingAnything() throws Exception {
        backend();
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        ImageService images = msb.service(ImageService.class);
        {
            SandboxLifecycle plain = new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu",
                    Duration.ofMillis(500)), () -> backends,
                    AgentConnector.withDefaults(),
                    () -> images, () -> rootfs);
            // the supplied service is asked (it was once ignored for the DS field: "no ImageService"), and its
            // failure comes before the record
            assertThrows(RegistryUnreachableException.class, () -> plain.create(SandboxSpec.builder("img")
                    .image("127.0.0.1:" + closed + "/nothing:here").build()));
            assertTrue(plain.get("img").isEmpty());
            assertFalse(Files.exists(home.resolve("sandboxes/img")));
        }
    }

    @Test
    void withoutABackendCreateFailsAndChangesNothing() throws Exception {
        Process old = sleeper();
        recordRunning("dev", old.pid(), Map.of());
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> lifecycle.create(spec("dev").replace(true).build()));
        assertTrue(e.getMessage().contains("no VMM backend is available"), e.getMessage());
        assertTrue(old.isAlive(), "the sandbox to be replaced was left alone");
        assertEquals(SandboxStatus.RUNNING, info("dev").status());
        assertThrows(UnsupportedFeatureException.class, () -> lifecycle.create(spec("new").build()));
        assertTrue(lifecycle.get("new").isEmpty());
    }

    @Test
    void unavailableBackendsAreNotChosen() {
        backends.add(new VmmBackend() {
            public String name() {
                return "qemu";
            }

            public boolean available() {
                return false;
            }

            public io.msb.api.spi.VmmCapabilities capabilities() {
                throw new AssertionError("an unavailable backend was asked what it can run");
            }

            public io.msb.api.spi.VmHandle start(io.msb.api.spi.VmSpec spec) {
                throw new AssertionError("an unavailable backend was asked to start a VM");
            }

            public java.util.Optional<io.msb.api.spi.VmHandle> reattach(String n, long p, Path d) {
                return java.util.Optional.empty();
            }
        });
        assertThrows(UnsupportedFeatureException.class, () -> lifecycle.create(spec("x").build()));
        AgentdProcessVmmForTests fallback = backend();
        lifecycle.create(spec("x").build());
        assertEquals(1, fallback.started().size());
    }

    @Test
    void resourcesOutsideTheBackendsLimitsAreRefusedBeforeAnythingIsWrittenOrStarted() {
        AgentdProcessVmmForTests vmm = backend();
        InvalidConfigException small = assertThrows(InvalidConfigException.class,
                () -> lifecycle.create(spec("small").memoryMib(32).build()));
        assertEquals("memoryMib", small.field());
        assertEquals("invalid config: memoryMib: 32 is outside 64..1048576 supported by backend qemu", small.getMessage());
        assertTrue(lifecycle.get("small").isEmpty());
        assertEquals("invalid config: cpus: 256 is outside 1..255 supported by backend qemu", assertThrows(
                InvalidConfigException.class, () -> lifecycle.create(spec("wide").cpus(256).build())).getMessage());
        // a stored spec is checked against the backend that boots it, too
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord("old", SpecJson.write(spec("old").cpus(1).memoryMib(16).build()),
                SandboxStatus.STOPPED, false, Map.of(), now, now));
        assertEquals("memoryMib", assertThrows(InvalidConfigException.class, () -> lifecycle.start("old")).field());
        assertEquals(SandboxStatus.STOPPED, info("old").status());
        assertEquals(0, vmm.started().size());
    }

    @Test
    void eachSandboxRecordsItsBackendAndStartUsesItNotTheDefault() {
        AgentdProcessVmmForTests qemu = backend();
        AgentdProcessVmmForTests other = new AgentdProcessVmmForTests("other", AgentdProcessVmmForTests.AGENTD);
        backends.add(other);
        lifecycle.create(spec("chosen").backend("other").build());
        lifecycle.create(spec("default").build());
        assertEquals("other", info("chosen").spec().backend());
        assertEquals("qemu", info("default").spec().backend(), "the default's name is recorded too");
        assertEquals(1, other.started().size());

        lifecycle.stop("chosen", Duration.ofSeconds(5));
        lifecycle.start("chosen");
        assertEquals(2, other.started().size());
        assertEquals(1, qemu.started().size(), "a start uses the recorded backend, not the default");
    }

    @Test
    void aNamedBackendThatIsNotRunningOrNotAvailableIsRefusedBeforeAnythingIsWritten() {
        backend();
        InvalidConfigException missing = assertThrows(InvalidConfigException.class,
                () -> lifecycle.create(spec("x").backend("libkrun").build()));
        assertEquals("backend", missing.field());
        assertEquals("invalid config: backend: no VMM backend named libkrun is running (running: qemu)",
                missing.getMessage());
        assertEquals("backend", assertThrows(InvalidConfigException.class,
                () -> lifecycle.create(spec("x").backend("QEMU").build())).field());
        backends.add(new VmmBackend() {
            public String name() {
                return "libkrun";
            }

            public boolean available() {
                return false;
            }

            public Optional<String> unavailableReason() {
                return Optional.of("libkrun.so.1 not found");
            }

            public io.msb.api.spi.VmmCapabilities capabilities() {
                throw new AssertionError("an unavailable backend was asked what it can run");
            }

            public VmHandle start(VmSpec spec) {
                throw new AssertionError("an unavailable backend was asked to start a VM");
            }

            public Optional<VmHandle> reattach(String n, long p, Path d) {
                return Optional.empty();
            }
        });
        assertEquals("backend libkrun: libkrun.so.1 not found", assertThrows(UnsupportedFeatureException.class,
                () -> lifecycle.create(spec("x").backend("libkrun").build())).getMessage());
        assertTrue(lifecycle.get("x").isEmpty());
        assertFalse(Files.exists(home.resolve("sandboxes/x")));
    }

    @Test
    void featuresTheBackendLacksAreRefusedNamingItAndTheFeature() {
        AgentdProcessVmmForTests vmm = backend();
        backends.set(0, new VmmBackend() { // the same VMs, declaring nothing but its limits
            public String name() {
                return "bare";
            }

            public boolean available() {
                return true;
            }

            public io.msb.api.spi.VmmCapabilities capabilities() {
                return new io.msb.api.spi.VmmCapabilities(1, 4, 64, 4096, java.util.Set.of());
            }

            public VmHandle start(VmSpec spec) {
                return vmm.start(spec);
            }

            public Optional<VmHandle> reattach(String n, long p, Path d) {
                return vmm.reattach(n, p, d);
            }
        });
        InvalidConfigException network = assertThrows(InvalidConfigException.class, () -> lifecycle.create(
                spec("net").network(io.msb.api.network.NetworkConfig.defaults()).build()));
        assertEquals("network", network.field());
        assertTrue(network.getMessage().contains("backend bare does not support NETWORK"), network.getMessage());
        assertTrue(lifecycle.list(LabelSelector.ALL).isEmpty());
        assertEquals(0, vmm.started().size());
    }

    @Test
    void aSandboxOutlivesItsBackendAndGetsAFreshHandleWhenItComesBack() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("swap").build());
        lifecycle.create(spec("ended").build());
        VmHandle first = lifecycle.connection("swap").vm();
        long pid = info("swap").currentRun().orElseThrow().pid();

        backends.remove(vmm); // its bundle stopped: nothing is closed
        SandboxInfo away = info("swap");
        assertEquals(SandboxStatus.RUNNING, away.status());
        assertFalse(away.backendAvailable());
        assertFalse(lifecycle.list(LabelSelector.ALL).get(0).backendAvailable());
        assertEquals("on\n", lifecycle.handle("swap").exec(ExecOptions.of("echo", "on").build()).stdoutText());
        InvalidStateException pause = assertThrows(InvalidStateException.class, () -> lifecycle.pause("swap"));
        assertEquals("cannot pause sandbox swap: its VMM backend qemu is not running (start its bundle, e.g."
                + " bundle:start io.msb.vmm.qemu; the sandbox runs on meanwhile)", pause.getMessage());
        lifecycle.kill("ended"); // through the handle still held: a VM can always be ended
        assertEquals(SandboxStatus.STOPPED, info("ended").status());
        assertFalse(vmm.processes().get(1).isAlive());

        backends.add(vmm);
        lifecycle.vmmBackendAdded(vmm);
        LiveVm now = lifecycle.connection("swap");
        assertTrue(now.vm() != first, "a fresh handle from the backend that came back");
        assertTrue(now.origin() == first, "the first handle stays referenced");
        assertEquals(pid, now.vm().pid());
        assertTrue(info("swap").backendAvailable());
        assertEquals(SandboxStatus.PAUSED, lifecycle.pause("swap").status());
        assertEquals(SandboxStatus.RUNNING, lifecycle.resume("swap").status());
        assertEquals("back\n", lifecycle.handle("swap").exec(ExecOptions.of("echo", "back").build()).stdoutText());
    }

    @Test
    void aRestartedRuntimeWithoutTheBackendConnectsWhenItComesBack() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("later").detached(true).build());
        lifecycle.deactivate();
        backends.clear();

        lifecycle = lifecycle();
        SandboxInfo away = info("later");
        assertEquals(SandboxStatus.RUNNING, away.status(), "a VM whose backend is away is not a crash");
        assertFalse(away.backendAvailable());
        InvalidStateException exec = assertThrows(InvalidStateException.class,
                () -> lifecycle.handle("later").exec(ExecOptions.of("true").build()));
        assertTrue(exec.getMessage().contains("its VMM backend qemu is not running"), exec.getMessage());

        backends.add(vmm);
        lifecycle.vmmBackendAdded(vmm);
        assertTrue(info("later").backendAvailable());
        assertEquals("up\n", lifecycle.handle("later").exec(ExecOptions.of("echo", "up").build()).stdoutText());
    }

    @Test
    void aPausedSandboxFoundWithoutItsBackendIsConnectedByItsResume() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("frozen").detached(true).build()).pause();
        lifecycle.deactivate();
        backends.clear();

        lifecycle = lifecycle();
        assertEquals(SandboxStatus.PAUSED, info("frozen").status());
        backends.add(vmm);
        lifecycle.vmmBackendAdded(vmm); // no handshake with a frozen guest
        assertEquals(SandboxStatus.PAUSED, info("frozen").status());
        assertEquals(SandboxStatus.RUNNING, lifecycle.resume("frozen").status());
        assertEquals("thawed\n", lifecycle.handle("frozen").exec(ExecOptions.of("echo", "thawed").build())
                .stdoutText());
    }

    @Test
    void refusesAnExistingNameButNotALeftoverDirectory() throws Exception {
        backend();
        lifecycle.create(spec("dev").build());
        AlreadyExistsException e = assertThrows(AlreadyExistsException.class, () -> lifecycle.create(spec("dev").build()));
        assertEquals("sandbox already exists: dev", e.getMessage());

        // what a crashed create or remove leaves: a directory nothing owns. It must not say "exists" while get
        // says not found.
        Path stale = Files.writeString(Files.createDirectories(home.resolve("sandboxes/leftover")).resolve("stale"), "x");
        assertTrue(lifecycle.get("leftover").isEmpty());
        lifecycle.create(spec("leftover").build());
        assertEquals(SandboxStatus.RUNNING, info("leftover").status());
        assertFalse(Files.exists(stale));
    }

    @Test
    void replaceStopsTheRunningOneAndRemovesItsState() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("dev").label("gen", "1").build());
        Process first = vmm.processes().get(0);
        Path marker = Files.writeString(home.resolve("sandboxes/dev/old-state"), "x");

        lifecycle.create(spec("dev").label("gen", "2").replace(true).build());

        assertFalse(first.isAlive());
        assertEquals(0, first.waitFor(), "the old guest shut down when asked (core.shutdown)");
        assertFalse(Files.exists(marker));
        SandboxInfo info = info("dev");
        assertEquals("2", info.spec().labels().get("gen"));
        assertEquals(SandboxStatus.RUNNING, info.status());
        assertEquals(vmm.processes().get(1).pid(), info.currentRun().orElseThrow().pid());
    }

    @Test
    void recoveryKillsAVmStartedByARuntimeThatDiedBeforeRecordingIt() throws Exception {
        // what a runtime killed between the VM's start and the run's record leaves: a Created record without a
        // run, and the VM, which its backend still knows from the sandbox's directory
        AgentdProcessVmmForTests vmm = backend();
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord("dev", SpecJson.write(spec("dev").cpus(1).memoryMib(256).build()),
                SandboxStatus.CREATED, false, Map.of(), now, now));
        Path dir = Files.createDirectories(home.resolve("sandboxes/dev/logs")).getParent();
        vmm.start(new VmSpec("dev", dir, null, null, List.of(), List.of(), 1, 256, true, null));
        Process unrecorded = vmm.processes().get(0);
        // and a directory without any record whose VM also still runs
        Path orphanDir = Files.createDirectories(home.resolve("sandboxes/gone/logs")).getParent();
        vmm.start(new VmSpec("gone", orphanDir, null, null, List.of(), List.of(), 1, 256, true, null));
        Process orphan = vmm.processes().get(1);

        lifecycle.recover();

        assertTrue(unrecorded.waitFor(10, TimeUnit.SECONDS), "the unrecorded VM of a rolled-back create is killed");
        assertTrue(orphan.waitFor(10, TimeUnit.SECONDS), "the VM of a directory without a record is killed");
        assertTrue(lifecycle.get("dev").isEmpty());
        assertFalse(Files.exists(dir));
        assertFalse(Files.exists(orphanDir));
    }

    @Test
    void aSandboxFoundCrashedLeavesNoUnrecordedVmRunning() throws Exception {
        // its recorded VM is dead, but a later boot's VM, which no run records, still runs from its directory
        AgentdProcessVmmForTests vmm = backend();
        recordRunning("dev", deadPid(), Map.of());
        Path dir = Files.createDirectories(home.resolve("sandboxes/dev/logs")).getParent();
        vmm.start(new VmSpec("dev", dir, null, null, List.of(), List.of(), 1, 256, true, null));
        Process unrecorded = vmm.processes().get(0);

        assertEquals(SandboxStatus.CRASHED, info("dev").status());
        assertTrue(unrecorded.waitFor(10, TimeUnit.SECONDS), "no VM outlives a record that says Crashed");
    }

    @Test
    void aRecordedPidNoBackendRecognisesIsNeverSignalled() throws Exception {
        Process unrelated = sleeper(); // e.g. the pid was reused after the VM died
        recordRunning("dev", unrelated.pid(), Map.of());
        backend();

        lifecycle.remove("dev", true);

        assertTrue(unrelated.isAlive(), "only a process the backend identifies (pid and start time) is signalled");
        assertTrue(lifecycle.get("dev").isEmpty());
    }

    @Test
    void aDeadVmIsReconciledToCrashedOnRead() throws Exception {
        recordRunning("dead", deadPid(), Map.of());
        Process live = sleeper();
        recordRunning("live", live.pid(), Map.of());

        SandboxInfo dead = info("dead");
        assertEquals(SandboxStatus.CRASHED, dead.status());
        RunInfo run = dead.currentRun().orElseThrow();
        assertFalse(run.running());
        assertEquals(TerminationReason.INTERNAL_ERROR, run.reason());
        assertEquals(SandboxStatus.RUNNING, info("live").status());
        assertTrue(info("live").currentRun().orElseThrow().running());
        assertEquals(SandboxStatus.CRASHED, store.findSandbox("dead").orElseThrow().status(), "written back");
    }

    @Test
    void aKilledVmShowsAsCrashedInListsToo() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("a").build());
        lifecycle.create(spec("b").build());
        Process a = vmm.processes().get(0);
        a.destroyForcibly().waitFor();

        Map<String, SandboxStatus> statuses = new java.util.HashMap<>();
        lifecycle.list(LabelSelector.ALL).forEach(s -> statuses.put(s.name(), s.status()));
        assertEquals(Map.of("a", SandboxStatus.CRASHED, "b", SandboxStatus.RUNNING), statuses);
        assertEquals(SandboxStatus.CRASHED, lifecycle.waitFor("a", Duration.ofSeconds(5)).status());
    }

    @Test
    void zombiesCountAsDead() throws Exception {
        // The shell's child exits, then the shell becomes a sleep that never reaps it: a zombie whose pid exists.
        Process parent = new ProcessBuilder("sh", "-c", "sleep 0 & echo $!; exec sleep 1000").start();
        strays.add(parent);
        long zombie = Long.parseLong(new java.io.BufferedReader(
                new java.io.InputStreamReader(parent.getInputStream())).readLine().trim());
        Path stat = Path.of("/proc", Long.toString(zombie), "stat");
        for (int i = 0; i < 100 && !Files.readString(stat).contains(") Z "); i++) {
            Thread.sleep(20);
        }
        assertTrue(Files.readString(stat).contains(") Z "), "the child is a zombie");
        recordRunning("z", zombie, Map.of());
        assertEquals(SandboxStatus.CRASHED, info("z").status());
    }

    @Test
    void stopRecordsShutdownAndKillRecordsTheSignal() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("s").build());
        lifecycle.create(spec("k").build());

        lifecycle.stop("s", Duration.ofSeconds(2));
        lifecycle.kill("k");

        SandboxInfo s = info("s");
        assertEquals(SandboxStatus.STOPPED, s.status());
        assertEquals(TerminationReason.SHUTDOWN_REQUESTED, s.currentRun().orElseThrow().reason());
        assertFalse(vmm.processes().get(0).isAlive());
        SandboxInfo k = info("k");
        assertEquals(SandboxStatus.STOPPED, k.status());
        assertEquals(TerminationReason.SIGNAL, k.currentRun().orElseThrow().reason());
        assertEquals(9, k.currentRun().orElseThrow().signal());
        assertFalse(vmm.processes().get(1).isAlive());
        lifecycle.stop("s", Duration.ofSeconds(1)); // stopping a stopped sandbox is a no-op
        assertEquals(1, store.runs("s").size());
    }

    @Test
    void startAgainAddsARun() {
        backend();
        lifecycle.create(spec("dev").build());
        lifecycle.stop("dev", null);
        lifecycle.start("dev");
        assertEquals(SandboxStatus.RUNNING, info("dev").status());
        assertEquals(2, store.runs("dev").size());
    }

    @Test
    void drainEndsTheRunWithDrainRequested() {
        backend();
        lifecycle.create(spec("d").build());
        lifecycle.drain("d");
        assertEquals(TerminationReason.DRAIN_REQUESTED, info("d").currentRun().orElseThrow().reason());
    }

    @Test
    void removeRefusesARunningSandboxUnlessForced() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("r").build());
        StillRunningException e = assertThrows(StillRunningException.class, () -> lifecycle.remove("r", false));
        assertEquals("sandbox is still running: r", e.getMessage());
        lifecycle.remove("r", true);
        assertTrue(lifecycle.get("r").isEmpty());
        assertFalse(vmm.processes().get(0).isAlive());
        assertFalse(Files.exists(home.resolve("sandboxes/r")));
        assertThrows(NotFoundException.class, () -> lifecycle.remove("r", false));
    }

    @Test
    void ephemeralSandboxesDisappearWhenStopped() {
        backend();
        lifecycle.create(spec("tmp").ephemeral(true).build());
        lifecycle.stop("tmp", Duration.ofSeconds(1));
        assertTrue(lifecycle.get("tmp").isEmpty());
        assertFalse(Files.exists(home.resolve("sandboxes/tmp")));
    }

    @Test
    void listFiltersByLabels() throws Exception {
        recordRunning("a", sleeper().pid(), Map.of("team", "infra", "tier", "dev"));
        recordRunning("b", sleeper().pid(), Map.of("team", "web"));
        recordRunning("c", sleeper().pid(), Map.of());
        assertEquals(List.of("a"), names(LabelSelector.parse("team=infra")));
        assertEquals(List.of("a", "b"), names(LabelSelector.parse("team")));
        assertEquals(List.of("a"), names(LabelSelector.parse("team,tier=dev")));
        assertEquals(List.of(), names(LabelSelector.parse("team=nobody")));
        assertEquals(List.of("a", "b", "c"), names(LabelSelector.ALL));
    }

    private List<String> names(LabelSelector selector) {
        return lifecycle.list(selector).stream().map(SandboxInfo::name).sorted().toList();
    }

    @Test
    void aBootFailureLeavesTheRecordStoppedAndTakesNothing() throws Exception {
        AgentdProcessVmmForTests vmm = AgentdProcessVmmForTests.running("sh", "-c", "echo 'Kernel panic - not syncing'; exit 1");
        backends.add(vmm);
        BootFailedException e = assertThrows(BootFailedException.class, () -> lifecycle.create(spec("broken").build()));
        assertEquals(BootFailedException.Stage.AGENT_HANDSHAKE, e.stage());
        assertTrue(e.kernelLogTail().isEmpty() || e.kernelLogTail().toString().contains("panic"), e.kernelLogTail().toString());
        assertLeftNothing("broken", vmm);
    }

    @Test
    void anErrorPastTheVmStartStillKillsTheVm() throws Exception {
        AgentdProcessVmmForTests vmm = new AgentdProcessVmmForTests();
        // Simulated: an Error where the booter connects to the agent (e2e's kill -9 workload met a
        // NoClassDefFoundError there, a jar replaced under the JVM); the VM it left ran on without a record.
        backends.add(new VmmBackend() {
            public String name() {
                return vmm.name();
            }

            public boolean available() {
                return true;
            }

            public io.msb.api.spi.VmmCapabilities capabilities() {
                return vmm.capabilities();
            }

            public VmHandle start(VmSpec s) {
                VmHandle vm = vmm.start(s);
                return (VmHandle) java.lang.reflect.Proxy.newProxyInstance(VmHandle.class.getClassLoader(),
                        new Class<?>[] {VmHandle.class}, (proxy, method, args) -> {
                            if (method.getName().equals("agentChannel")) {
                                throw new NoClassDefFoundError("io/msb/protocol/internal/Relay (simulated)");
                            }
                            try {
                                return method.invoke(vm, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }

            public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
                return vmm.reattach(sandboxName, pid, stateDir);
            }
        });
        assertThrows(NoClassDefFoundError.class, () -> lifecycle.create(spec("err").build()));
        assertEquals(1, vmm.processes().size());
        assertLeftNothing("err", vmm);
    }

    /** A failed create leaves no record, no directory and no process (decision 0013). */
    private void assertLeftNothing(String name, AgentdProcessVmmForTests vmm) throws Exception {
        assertTrue(lifecycle.get(name).isEmpty(), "no record");
        assertTrue(store.findSandbox(name).isEmpty(), "no record in the store");
        assertFalse(Files.exists(home.resolve("sandboxes").resolve(name)), "no directory");
        try (var dirs = Files.list(home.resolve("sandboxes"))) {
            assertEquals(List.of(), dirs.filter(d -> d.getFileName().toString().startsWith(".trash-")).toList());
        }
        for (Process p : vmm.processes()) {
            assertFalse(p.isAlive(), "no process");
        }
    }

    @Test
    void aMissingWorkdirFailsTheBootAtTheWorkdirStage() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        BootFailedException e = assertThrows(BootFailedException.class,
                () -> lifecycle.create(spec("w").workdir("/no/such/dir").build()));
        assertEquals(BootFailedException.Stage.WORKDIR, e.stage());
        assertLeftNothing("w", vmm);
    }

    @Test
    void execAndFilesGoThroughTheAgent() throws Exception {
        backend();
        SandboxHandle dev = lifecycle.create(spec("dev").env("GREETING", "hello").build());
        ExecResult r = dev.exec(ExecOptions.of("sh", "-c", "echo $GREETING from $(hostname -s 2>/dev/null || echo x); exit 3")
                .env("GREETING", "hello").build());
        assertEquals(3, r.exit().code());
        assertTrue(r.stdoutText().startsWith("hello from"), r.stdoutText());

        Path file = home.resolve("guest-file.bin");
        byte[] data = new byte[300_000];
        new java.util.Random(7).nextBytes(data);
        dev.fs().write(file.toString(), data);
        assertArrayEquals(data, dev.fs().readAllBytes(file.toString()));

        var metrics = dev.metrics();
        assertEquals(info("dev").currentRun().orElseThrow().pid(), metrics.pid());
        assertTrue(metrics.rssBytes() > 0, "resident memory of the VM process: " + metrics);
        assertFalse(metrics.cpuTime().isNegative());
        // agentd runs on the host here, so its /proc/meminfo is the host's: still read through the agent
        assertNotNull(metrics.guestMemory(), "memory reported by the agent: " + metrics);
        assertTrue(metrics.guestMemory().totalBytes() > metrics.guestMemory().usedBytes(), metrics.toString());
        assertEquals(info("dev").spec().memoryMib() * 1024L * 1024, metrics.memoryLimitBytes(), "the memory it was given");
        assertTrue(metrics.memoryLimitBytes() > 0, metrics.toString());
        assertFalse(metrics.uptime().isNegative(), metrics.toString());
        assertNotNull(metrics.cpuPercent(), "over the run, the first sample: " + metrics);

        String log = Files.readString(home.resolve("sandboxes/dev/logs/exec.log"));
        assertTrue(log.contains("\"exitCode\":3"), log);
        assertTrue(Files.exists(home.resolve("sandboxes/dev/agent.sock")), "the relay serves agent.sock");
        assertTrue(Files.exists(home.resolve("sandboxes/dev/upper.ext4")), "the writable disk was made");
    }

    @Test
    void processesAndThePlatformAreReadThroughTheAgentAndTheBackends() {
        backend();
        SandboxHandle dev = lifecycle.create(spec("procs").build());
        // agentd runs on the host here, so the /proc it reads is the host's: the agent itself must be listed
        long agentPid = dev.metrics().pid();
        var processes = dev.processes();
        var agent = processes.stream().filter(p -> p.pid() == agentPid).findFirst().orElseThrow(
                () -> new AssertionError("agentd " + agentPid + " not in " + processes));
        assertTrue(agent.command().contains("agentd"), agent.toString());
        assertTrue(agent.rssBytes() > 0 && !agent.elapsed().isNegative(), agent.toString());
        for (int i = 1; i < processes.size(); i++) {
            assertTrue(processes.get(i - 1).pid() < processes.get(i).pid(), "in pid order");
        }

        var platform = lifecycle.platform();
        assertEquals(home, platform.home());
        assertEquals("qemu", platform.defaultBackend());
        assertEquals(1, platform.backends().size());
        assertTrue(platform.backends().get(0).selected() && platform.backends().get(0).available(), platform.toString());
        assertEquals(Map.of(io.msb.api.SandboxStatus.RUNNING, 1), platform.sandboxes());
    }

    @Test
    void anotherRuntimeReattachesToARunningSandbox() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("keep").detached(true).build());
        lifecycle.deactivate(); // the host process lets go; the VM keeps running

        SandboxLifecycle restarted = lifecycle();
        assertEquals(SandboxStatus.RUNNING, restarted.get("keep").orElseThrow().status());
        assertEquals("again\n", restarted.handle("keep").exec(ExecOptions.of("echo", "again").build()).stdoutText());
        restarted.stop("keep", Duration.ofSeconds(5));
        assertFalse(vmm.processes().get(0).isAlive());
    }

    @Test
    void guestOperationsOnAStoppedSandboxSayItIsNotRunning() {
        backend();
        SandboxHandle dev = lifecycle.create(spec("dev").build());
        dev.stop(Duration.ofSeconds(2));
        MsbException e = assertThrows(MsbException.class, () -> dev.exec(ExecOptions.of("true").build()));
        assertEquals("sandbox is not running: dev (STOPPED)", e.getMessage());
    }

    private io.msb.api.store.RunRecord awaitEnded(String name, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var run = store.latestRun(name).orElseThrow();
            if (!run.running()) {
                return run;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(name + " still runs after " + timeout);
    }

    @Test
    void idleSandboxesStopAndARunningCommandKeepsThemAlive() throws Exception {
        backend();
        lifecycle.supervise(Duration.ofMillis(100));
        SandboxHandle busy = lifecycle.create(spec("busy").idleTimeout(Duration.ofMillis(800)).build());
        lifecycle.create(spec("idle").idleTimeout(Duration.ofMillis(800)).build());

        // a silent command outlasts the idle timeout several times over
        ExecResult r = busy.exec(ExecOptions.of("sleep", "3").build());
        assertEquals(0, r.exit().code());
        assertEquals(SandboxStatus.RUNNING, store.findSandbox("busy").orElseThrow().status(), "busy while the command ran");
        assertEquals(TerminationReason.IDLE_TIMEOUT, awaitEnded("idle", Duration.ofSeconds(10)).reason());
        assertEquals(TerminationReason.IDLE_TIMEOUT, awaitEnded("busy", Duration.ofSeconds(10)).reason());
        assertEquals(SandboxStatus.STOPPED, store.findSandbox("idle").orElseThrow().status());
    }

    @Test
    void anExecOfAnotherRelayClientKeepsTheSandboxBusy() throws Exception {
        backend();
        lifecycle.supervise(Duration.ofMillis(100));
        lifecycle.create(spec("shared").idleTimeout(Duration.ofMillis(800)).build());

        // a second client of agent.sock (as microsandbox's SDK would be) runs a silent command past the timeout
        try (io.msb.protocol.AgentClient other = io.msb.protocol.AgentClient.connectRelay(
                home.resolve("sandboxes/shared/agent.sock"), io.msb.protocol.AgentClient.Options.DEFAULTS)) {
            ExecResult r = other.run(ExecOptions.of("sleep", "3").build());
            assertEquals(0, r.exit().code(), "the command ran to its end: the sandbox was not stopped under it");
            assertTrue(store.latestRun("shared").orElseThrow().running(), "still running after the command");
        }
        assertEquals(TerminationReason.IDLE_TIMEOUT, awaitEnded("shared", Duration.ofSeconds(10)).reason());
    }

    /**
     * A read while a stop is ending the run, after the VM has exited and before the stop records it (the SDK's stop
     * polls the sandbox every 100 ms), must not take the exit for a crash: it recorded Crashed, and the stop then
     * failed on its already terminated run. The store wrapper makes that read at the stop's own terminateRun.
     */
    @Test
    void aReadDuringAStopIsNotACrash() throws Exception {
        backend();
        AtomicReference<SandboxLifecycle> runtime = new AtomicReference<>();
        AtomicReference<SandboxStatus> seenMidStop = new AtomicReference<>();
        SandboxStore readsAtTerminate = (SandboxStore) Proxy.newProxyInstance(SandboxStore.class.getClassLoader(),
                new Class<?>[] {SandboxStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("terminateRun") && args[1] == TerminationReason.SHUTDOWN_REQUESTED) {
                        CompletableFuture.runAsync(() -> seenMidStop.set(runtime.get().get("polled").orElseThrow()
                                .status())).get(10, TimeUnit.SECONDS);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        SandboxLifecycle stopping = lifecycle(readsAtTerminate);
        runtime.set(stopping);
        try {
            stopping.create(spec("polled").build());
            stopping.stop("polled", Duration.ofSeconds(2));
            assertEquals(SandboxStatus.RUNNING, seenMidStop.get(), "the status read while the stop was recording it");
            assertEquals(SandboxStatus.STOPPED, info("polled").status());
            assertEquals(TerminationReason.SHUTDOWN_REQUESTED, store.latestRun("polled").orElseThrow().reason());
        } finally {
            stopping.deactivate();
        }
    }

    /** The periodic pass reads no store: limits travel with the live VM (a counting wrapper around the H2 store). */
    @Test
    void supervisorPassesReadNoStore() throws Exception {
        backend();
        CountingStoreWrapper counting = new CountingStoreWrapper(store);
        SandboxLifecycle counted = lifecycle(counting.store());
        try {
            Supervisor supervisor = counted.supervise(Duration.ofHours(1)); // passes run only when called below
            counted.create(spec("plain").build());
            counted.create(spec("limited").idleTimeout(Duration.ofHours(1)).maxDuration(Duration.ofHours(1)).build());
            long before = counting.calls();
            for (int i = 0; i < 50; i++) {
                supervisor.check();
            }
            assertEquals(0, counting.calls() - before, "store calls over 50 supervisor passes");
            assertEquals(SandboxStatus.RUNNING, info("plain").status());
            assertEquals(SandboxStatus.RUNNING, info("limited").status());
        } finally {
            counted.deactivate();
        }
    }

    /** A reattached VM's limits are read once at reattach: a restarted runtime still enforces them. */
    @Test
    void aReattachedSandboxKeepsItsMaxDuration() throws Exception {
        backend();
        lifecycle.create(spec("again").detached(true).maxDuration(Duration.ofSeconds(1)).build());
        lifecycle.deactivate();

        lifecycle = lifecycle();
        assertEquals(SandboxStatus.RUNNING, info("again").status());
        lifecycle.handle("again").exec(ExecOptions.of("true").build()); // reattaches
        lifecycle.supervise(Duration.ofMillis(100));
        assertEquals(TerminationReason.MAX_DURATION_EXCEEDED, awaitEnded("again", Duration.ofSeconds(10)).reason());
    }

    /** The crash is seen through the agent connection closing, not by a periodic pass (which would take an hour). */
    @Test
    void aCrashIsRecordedWhenTheAgentConnectionCloses() throws Exception {
        assertACrashIsRecorded(Duration.ofHours(1));
    }

    @Test
    void maxDurationEndsTheRun() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.supervise(Duration.ofMillis(100));
        lifecycle.create(spec("short").maxDuration(Duration.ofSeconds(1)).build());
        assertEquals(TerminationReason.MAX_DURATION_EXCEEDED, awaitEnded("short", Duration.ofSeconds(10)).reason());
        assertFalse(vmm.processes().get(0).isAlive());
    }

    @Test
    void aCrashIsRecordedWithoutAnyoneReading() throws Exception {
        assertACrashIsRecorded(Duration.ofMillis(100));
    }

    /** A VM that dies under a sandbox nobody uses, supervised every {@code interval}, ends its run as a crash. */
    private void assertACrashIsRecorded(Duration interval) throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.supervise(interval);
        lifecycle.create(spec("c").build());
        vmm.processes().get(0).destroyForcibly();
        assertEquals(TerminationReason.INTERNAL_ERROR, awaitEnded("c", Duration.ofSeconds(10)).reason());
        assertEquals(SandboxStatus.CRASHED, store.findSandbox("c").orElseThrow().status());
    }

    /** The paused state as the backend itself sees it (for the agentd stand-in: SIGSTOP, decision 1220). */
    private boolean vmPaused(AgentdProcessVmmForTests vmm, int index) {
        Process p = vmm.processes().get(index);
        return vmm.reattach("", p.pid(), home).orElseThrow().paused();
    }

    @Test
    void pauseFreezesTheVmAndRefusesGuestCallsUntilResumed() {
        AgentdProcessVmmForTests vmm = backend();
        SandboxHandle dev = lifecycle.create(spec("dev").build());

        assertEquals(SandboxStatus.PAUSED, dev.pause().status());
        assertEquals(SandboxStatus.PAUSED, store.findSandbox("dev").orElseThrow().status(), "persisted");
        assertTrue(vmPaused(vmm, 0));
        assertEquals(SandboxStatus.PAUSED, lifecycle.pause("dev").status(), "pausing a paused sandbox is a no-op");
        InvalidStateException e = assertThrows(InvalidStateException.class, () -> dev.exec(ExecOptions.of("true").build()));
        assertEquals("sandbox dev is paused: resume it first (msb resume dev)", e.getMessage());
        assertThrows(InvalidStateException.class, dev::fs);
        assertTrue(store.latestRun("dev").orElseThrow().running(), "a paused VM is not a crash");

        assertEquals(SandboxStatus.RUNNING, dev.resume().status());
        assertFalse(vmPaused(vmm, 0));
        assertEquals(SandboxStatus.RUNNING, lifecycle.resume("dev").status(), "resuming a running sandbox is a no-op");
        assertEquals("on\n", dev.exec(ExecOptions.of("echo", "on").build()).stdoutText());

        dev.stop(Duration.ofSeconds(5));
        assertEquals("cannot pause sandbox dev: it is stopped (only a running sandbox can be paused)",
                assertThrows(InvalidStateException.class, dev::pause).getMessage());
        assertEquals("cannot resume sandbox dev: it is stopped (only a paused sandbox can be resumed)",
                assertThrows(InvalidStateException.class, dev::resume).getMessage());
    }

    @Test
    void aGracefulStopOfAPausedSandboxLetsTheGuestShutDown() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("frozen").build()).pause();
        lifecycle.stop("frozen", Duration.ofSeconds(5));
        assertEquals(0, vmm.processes().get(0).waitFor(), "the guest was resumed and shut down when asked");
        assertEquals(SandboxStatus.STOPPED, info("frozen").status());
        assertEquals(TerminationReason.SHUTDOWN_REQUESTED, store.latestRun("frozen").orElseThrow().reason());
        // and started again, it is not taken for paused
        assertEquals("up\n", lifecycle.start("frozen").exec(ExecOptions.of("echo", "up").build()).stdoutText());
        lifecycle.create(spec("killed").build()).pause();
        lifecycle.kill("killed");
        assertEquals(SandboxStatus.STOPPED, info("killed").status());
        assertFalse(vmm.processes().get(2).isAlive());
    }

    @Test
    void theIdleTimeoutDoesNotRunWhilePaused() throws Exception {
        backend();
        lifecycle.supervise(Duration.ofMillis(100));
        SandboxHandle idle = lifecycle.create(spec("idle").idleTimeout(Duration.ofMillis(800)).build());
        idle.pause();
        Thread.sleep(2500); // three idle timeouts
        assertEquals(SandboxStatus.PAUSED, info("idle").status());
        assertTrue(store.latestRun("idle").orElseThrow().running());
        idle.resume();
        assertEquals(TerminationReason.IDLE_TIMEOUT, awaitEnded("idle", Duration.ofSeconds(10)).reason(),
                "idle again after the resume");
    }

    @Test
    void theMaxDurationCountsWhilePausedAndEndsTheRunGracefully() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.supervise(Duration.ofMillis(100));
        lifecycle.create(spec("bounded").maxDuration(Duration.ofSeconds(1)).build()).pause();
        assertEquals(TerminationReason.MAX_DURATION_EXCEEDED, awaitEnded("bounded", Duration.ofSeconds(10)).reason());
        assertEquals(0, vmm.processes().get(0).waitFor(), "resumed to shut down");
    }

    @Test
    void aPausedVmThatDiesIsACrash() throws Exception {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.supervise(Duration.ofMillis(100));
        lifecycle.create(spec("gone").build()).pause();
        vmm.processes().get(0).destroyForcibly();
        assertEquals(TerminationReason.INTERNAL_ERROR, awaitEnded("gone", Duration.ofSeconds(10)).reason());
        assertEquals(SandboxStatus.CRASHED, info("gone").status());
    }

    @Test
    void aRestartedRuntimeKeepsPausedAndBelievesTheVm() {
        AgentdProcessVmmForTests vmm = backend();
        lifecycle.create(spec("kept").detached(true).build()).pause();
        lifecycle.create(spec("raced").detached(true).build());
        lifecycle.deactivate();
        // a runtime that died between freezing the VM and writing Paused: the VM's own state wins
        vmm.reattach("raced", vmm.processes().get(1).pid(), home).orElseThrow().pause();

        lifecycle = lifecycle();
        assertEquals(SandboxStatus.PAUSED, info("kept").status());
        assertEquals(SandboxStatus.PAUSED, info("raced").status());
        assertThrows(InvalidStateException.class, () -> lifecycle.handle("kept").exec(ExecOptions.of("true").build()));
        lifecycle.resume("kept");
        assertEquals("back\n", lifecycle.handle("kept").exec(ExecOptions.of("echo", "back").build()).stdoutText());
        lifecycle.stop("raced", Duration.ofSeconds(5));
        assertEquals(SandboxStatus.STOPPED, info("raced").status());
    }
}
