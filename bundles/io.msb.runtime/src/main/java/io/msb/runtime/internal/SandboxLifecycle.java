package io.msb.runtime.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.image.ImageService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmmBackend;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.protocol.AgentConnector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.felix.scr.component.ExtComponentContext;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The local sandbox backend, published as the platform's {@link SandboxService}: lifecycle rules over the
 * store, reconciled with the live VM processes on every read. VMM backends are tracked dynamically (highest
 * ranking first), so a backend bundle can come and go without this component restarting.
 */
@Component(name = RuntimeConfig.PID, configurationPid = RuntimeConfig.PID, immediate = true,
        service = {SandboxService.class, SandboxBackend.class}, property = "msb.backend=local")
@Designate(ocd = RuntimeConfig.class)
public final class SandboxLifecycle implements SandboxBackend {
    private static final int SIGKILL = 9;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<VmmBackend> vmmBackends = List.of();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ImageService imageService;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile RootfsBuilder rootfsBuilder;

    private final SandboxStore store;
    private final RuntimeSettings settings;
    private final Supplier<List<VmmBackend>> backends;
    private final VmBooter booter;
    /** VMs this process is connected to; the pid in the store is the fallback for the others. */
    private final ConcurrentMap<String, LiveVm> live = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Object> nameLocks = new ConcurrentHashMap<>();
    private volatile Supervisor supervisor;

    @Activate
    public SandboxLifecycle(@Reference(name = "store") SandboxStore store,
            @Reference(name = "agents") AgentConnector agents, RuntimeConfig config, ComponentContext context) {
        this.store = store;
        this.settings = new RuntimeSettings(MsbHome.resolve(config.home()), config.defaultCpus(),
                config.defaultMemoryMib(), config.defaultBackend(), Duration.ofSeconds(config.stopGraceSeconds()));
        this.backends = () -> vmmBackends;
        this.booter = new VmBooter(settings, agents, () -> imageService, () -> rootfsBuilder);
        publishHome(context);
        supervise(Duration.ofSeconds(1));
    }

    /** Plain-Java construction, outside OSGi. */
    public SandboxLifecycle(SandboxStore store, RuntimeSettings settings, Supplier<List<VmmBackend>> backends,
            AgentConnector agents, Supplier<ImageService> images, Supplier<RootfsBuilder> rootfs) {
        this.store = store;
        this.settings = settings;
        this.backends = backends;
        this.booter = new VmBooter(settings, agents, images, rootfs);
    }

    /** Lets go of the VMs without stopping them: detached ones are found again by the next runtime. */
    @Deactivate
    public void deactivate() {
        if (supervisor != null) {
            supervisor.close();
        }
        live.values().forEach(LiveVm::disconnect);
        live.clear();
    }

    /** Starts enforcing idle timeouts and maximum durations, checking every {@code interval}. */
    void supervise(Duration interval) {
        supervisor = new Supervisor(new Supervisor.Sandboxes() {
            @Override
            public Map<String, LiveVm> live() {
                return live;
            }

            @Override
            public SandboxSpec spec(String name) {
                return SpecJson.read(require(name).configJson());
            }

            @Override
            public Instant runStartedAt(String name) {
                return store.latestRun(name).map(RunRecord::startedAt).orElse(Instant.now());
            }

            @Override
            public void end(String name, TerminationReason reason) {
                endRun(name, reason, settings.stopGrace());
            }

            @Override
            public void reconcile(String name) {
                synchronized (lockFor(name)) {
                    store.findSandbox(name).ifPresent(SandboxLifecycle.this::reconciled);
                }
            }
        }, interval);
    }

    /**
     * Adds the resolved home to the service properties, so consoles and tests see where this runtime keeps its
     * state (the configured value may be empty). DS has no portable way to add a computed service property;
     * Felix SCR, the SCR of Felix and Karaf, offers one.
     */
    private void publishHome(ComponentContext context) {
        if (context instanceof ExtComponentContext ext) {
            Dictionary<String, Object> properties = new Hashtable<>();
            for (Enumeration<String> keys = context.getProperties().keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                properties.put(key, context.getProperties().get(key));
            }
            properties.put("msb.home", settings.home().toString());
            ext.setServiceProperties(properties);
        }
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public SandboxHandle create(SandboxSpec requested) {
        SandboxSpec spec = withDefaults(SpecValidator.validate(requested));
        VmmBackend vmm = selectBackend(); // before anything is replaced or written: a refusal changes nothing
        synchronized (lockFor(spec.name())) {
            Path dir = settings.sandboxDir(spec.name());
            if (store.findSandbox(spec.name()).isPresent() || Files.exists(dir)) {
                if (!requested.replace()) {
                    throw new AlreadyExistsException("sandbox", spec.name());
                }
                discard(spec.name());
            }
            Instant now = Instant.now();
            store.insertSandbox(new SandboxRecord(spec.name(), SpecJson.write(spec), SandboxStatus.CREATED,
                    spec.ephemeral(), spec.labels(), now, now));
            return boot(spec, vmm);
        }
    }

    @Override
    public SandboxHandle start(String name) {
        synchronized (lockFor(name)) {
            SandboxRecord record = reconciled(require(name));
            if (record.status().expectsLiveVm()) {
                return handle(name);
            }
            return boot(SpecJson.read(record.configJson()), selectBackend());
        }
    }

    /**
     * Boots the VM of a recorded sandbox and records the run. A failure leaves the record Stopped with
     * nothing running, so nothing half-made stays behind.
     */
    private SandboxHandle boot(SandboxSpec spec, VmmBackend vmm) {
        String name = spec.name();
        store.updateStatus(name, SandboxStatus.STARTING, Instant.now());
        LiveVm vm = null;
        try {
            vm = booter.boot(spec, vmm);
            store.startRun(name, vm.vm().pid(), Instant.now(), SandboxStatus.RUNNING);
        } catch (RuntimeException e) {
            if (vm != null) {
                vm.kill();
            }
            store.updateStatus(name, SandboxStatus.STOPPED, Instant.now());
            throw e;
        }
        live.put(name, vm);
        return handle(name);
    }

    /**
     * The connection to a running sandbox's agent: the one this process made, or, for a VM started by an
     * earlier runtime (a detached sandbox after a restart), a new one after the backend reattached to it.
     */
    LiveVm connection(String name) {
        LiveVm current = live.get(name);
        if (current != null && current.agent().isOpen() && current.vm().alive()) {
            return current; // the common case, without a store read
        }
        synchronized (lockFor(name)) {
            SandboxRecord record = reconciled(require(name));
            if (!record.status().expectsLiveVm()) {
                throw new MsbException("sandbox is not running: " + name + " (" + record.status() + ")");
            }
            LiveVm vm = live.get(name);
            if (vm != null && vm.agent().isOpen()) {
                return vm;
            }
            RunRecord run = store.latestRun(name).filter(RunRecord::running)
                    .orElseThrow(() -> new MsbException("sandbox is starting: " + name));
            if (vm != null) {
                vm.disconnect();
                live.remove(name);
            }
            Optional<LiveVm> reattached = reattach(name, run);
            if (reattached.isPresent()) {
                live.put(name, reattached.get());
                return reattached.get();
            }
            throw new MsbException("sandbox " + name + " runs (pid " + run.pid()
                    + ") but no VMM backend can reattach to it");
        }
    }

    private Optional<LiveVm> reattach(String name, RunRecord run) {
        Path dir = settings.sandboxDir(name);
        for (VmmBackend backend : backends.get()) {
            Optional<VmHandle> handle = backend.reattach(name, run.pid(), dir);
            if (handle.isPresent()) {
                return Optional.of(booter.reconnect(handle.get(), dir));
            }
        }
        return Optional.empty();
    }

    @Override
    public void stop(String name, Duration grace) {
        endRun(name, TerminationReason.SHUTDOWN_REQUESTED, grace == null ? settings.stopGrace() : grace);
    }

    @Override
    public void kill(String name) {
        endRun(name, TerminationReason.SIGNAL, Duration.ZERO);
    }

    @Override
    public void drain(String name) {
        synchronized (lockFor(name)) {
            if (reconciled(require(name)).status() == SandboxStatus.RUNNING) {
                store.updateStatus(name, SandboxStatus.DRAINING, Instant.now());
            }
        }
        endRun(name, TerminationReason.DRAIN_REQUESTED, settings.stopGrace());
    }

    /** Ends the current run, then removes an ephemeral sandbox. */
    private void endRun(String name, TerminationReason reason, Duration grace) {
        synchronized (lockFor(name)) {
            SandboxRecord record = reconciled(require(name));
            endRunLocked(record, reason, grace);
            if (record.ephemeral()) {
                discard(name);
            }
        }
    }

    /** SIGTERM with a grace period, or SIGKILL when {@code grace} is zero; the run and status are recorded. */
    private void endRunLocked(SandboxRecord record, TerminationReason reason, Duration grace) {
        if (!record.status().expectsLiveVm()) {
            return;
        }
        String name = record.name();
        Optional<RunRecord> run = store.latestRun(name).filter(RunRecord::running);
        LiveVm vm = live.remove(name);
        if (vm == null && run.isPresent()) {
            vm = reattach(name, run.get()).orElse(null); // a VM from an earlier runtime: stop it through its agent too
        }
        boolean kill = grace.isZero();
        if (vm != null) {
            if (kill) {
                vm.kill();
            } else {
                vm.shutdown(grace);
            }
        } else if (run.isPresent()) {
            if (kill) {
                Processes.kill(run.get().pid());
            } else {
                Processes.terminate(run.get().pid(), grace);
            }
        }
        Instant now = Instant.now();
        if (run.isPresent()) {
            store.terminateRun(run.get().id(), reason, null, kill ? SIGKILL : null, now, SandboxStatus.STOPPED);
        } else {
            store.updateStatus(name, SandboxStatus.STOPPED, now);
        }
    }

    @Override
    public SandboxInfo waitFor(String name, Duration timeout) throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<SandboxInfo> info = get(name);
            if (info.isEmpty()) {
                throw new NotFoundException("sandbox", name);
            }
            if (!info.get().status().expectsLiveVm() || System.nanoTime() - deadline > 0) {
                return info.get();
            }
            LiveVm vm = live.get(name);
            if (vm != null) {
                vm.vm().waitFor(Duration.ofMillis(200));
            } else {
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void remove(String name, boolean force) {
        synchronized (lockFor(name)) {
            if (!force && reconciled(require(name)).status().expectsLiveVm()) {
                throw new StillRunningException(name);
            }
            discard(name);
        }
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector) {
        return store.listSandboxes(selector == null ? LabelSelector.ALL : selector).stream()
                .map(this::reconciled).map(this::toInfo).toList();
    }

    @Override
    public Optional<SandboxInfo> get(String name) {
        return store.findSandbox(name).map(this::reconciled).map(this::toInfo);
    }

    @Override
    public SandboxHandle handle(String name) {
        require(name);
        return new LocalSandboxHandle(this, name, new ExecLog(settings.sandboxDir(name)));
    }

    /**
     * A sandbox that should have a live VM but whose VM process is gone has crashed: its run ends with
     * InternalError. Runs on every read, so a crash is seen however the sandbox is looked at.
     */
    private SandboxRecord reconciled(SandboxRecord record) {
        if (!record.status().expectsLiveVm()) {
            return record;
        }
        Optional<RunRecord> run = store.latestRun(record.name()).filter(RunRecord::running);
        if (run.isPresent() && Processes.alive(run.get().pid())) {
            return record;
        }
        Instant now = Instant.now();
        LiveVm gone = live.remove(record.name());
        if (gone != null) {
            gone.disconnect();
        }
        if (run.isPresent()) {
            store.terminateRun(run.get().id(), TerminationReason.INTERNAL_ERROR, null, null, now,
                    SandboxStatus.CRASHED);
        } else if (record.status() != SandboxStatus.STARTING) {
            store.updateStatus(record.name(), SandboxStatus.CRASHED, now);
        } else {
            return record; // booting: the run is recorded once the VM has a pid
        }
        return record.withStatus(SandboxStatus.CRASHED, now);
    }

    private SandboxInfo toInfo(SandboxRecord record) {
        return new SandboxInfo(record.name(), record.status(), SpecJson.read(record.configJson()),
                record.createdAt(), record.updatedAt(), store.latestRun(record.name()).map(RunRecord::toInfo));
    }

    /** Stops whatever still runs under the name and deletes its records and state directory. */
    private void discard(String name) {
        store.findSandbox(name).map(this::reconciled)
                .ifPresent(record -> endRunLocked(record, TerminationReason.SHUTDOWN_REQUESTED, settings.stopGrace()));
        store.deleteSandbox(name);
        deleteTree(settings.sandboxDir(name));
    }

    private SandboxSpec withDefaults(SandboxSpec spec) {
        SandboxSpec.Builder b = spec.toBuilder();
        if (spec.cpus() == 0) {
            b.cpus(settings.defaultCpus());
        }
        if (spec.memoryMib() == 0) {
            b.memoryMib(settings.defaultMemoryMib());
        }
        return b.replace(false).build();
    }

    /** The configured backend if it is available, else the first available one (highest service ranking). */
    private VmmBackend selectBackend() {
        List<VmmBackend> available = backends.get().stream().filter(VmmBackend::available).toList();
        return available.stream().filter(b -> b.name().equals(settings.defaultBackend())).findFirst()
                .or(() -> available.stream().findFirst())
                .orElseThrow(() -> new UnsupportedFeatureException(
                        "no VMM backend is available (install and start io.msb.vmm.qemu)"));
    }

    SandboxRecord require(String name) {
        return store.findSandbox(name).orElseThrow(() -> new NotFoundException("sandbox", name));
    }

    private Object lockFor(String name) {
        return nameLocks.computeIfAbsent(name, n -> new Object());
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + root, e);
        }
    }
}
