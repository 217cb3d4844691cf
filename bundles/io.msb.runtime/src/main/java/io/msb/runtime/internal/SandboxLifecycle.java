package io.msb.runtime.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.BootFailedException;
import io.msb.api.Check;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.NotFoundException;
import io.msb.api.PlatformInfo;
import io.msb.api.PullPolicy;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxMetrics;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.TerminationReason;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.image.ImageConfig;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.network.NetworkAddresses;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.PlatformObserver;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.SecretStore;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.api.volume.VolumeService;
import io.msb.protocol.AgentConnector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.felix.scr.component.ExtComponentContext;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The local sandbox backend ({@code msb.backend=local}; the platform's {@link SandboxService} is the router in front
 * of it, decision 1704): lifecycle rules over the store, reconciled with the live VM processes on every read. VMM
 * backends are tracked dynamically (highest ranking first), so a backend bundle can come and go without this
 * component restarting: each sandbox records the VMM backend that runs it, shows {@code backendAvailable} false
 * while that one is away and gets a fresh handle from it when it comes back (decisions 1701-1703).
 */
@Component(name = RuntimeConfig.PID, configurationPid = RuntimeConfig.PID, immediate = true,
        service = SandboxBackend.class, property = "msb.backend=" + SandboxLifecycle.LOCAL)
@Designate(ocd = RuntimeConfig.class)
public final class SandboxLifecycle implements SandboxBackend {
    private static final System.Logger LOG = System.getLogger(SandboxLifecycle.class.getName());
    private static final int SIGKILL = 9;
    /** Prefix of directories being deleted; not a valid sandbox name (names start alphanumeric). */
    private static final String TRASH = ".trash-";
    /** This backend's name, in {@code msb.backend}. */
    static final String LOCAL = "local";

    /** The bound VMM backends, highest service ranking first (then the oldest registration). */
    private final VmmBackends bound = new VmmBackends();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ImageService imageService;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile RootfsBuilder rootfsBuilder;

    private volatile NetworkService networkService;

    /** Optional and dynamic: the volume bundle references SandboxService, so a mandatory reference would be a cycle. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile VolumeService volumeService;

    /** Told of creates, boots, stops, failures and execs (decision 1871); any number, none needed. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<PlatformObserver> observers = List.of();

    /** Where secret values are kept encrypted (io.msb.store); needed only by sandboxes with secrets. */
    private volatile SecretStore secretStore;

    private final SandboxStore store;
    private final RuntimeSettings settings;
    /** The configured default backend: new creates only, so a change applies at once (decision 1707). */
    private volatile String defaultBackend;
    /** The configuration applied now (OSGi only). */
    private volatile RuntimeConfig config;
    private final Supplier<List<VmmBackend>> backends;
    /** The image service create pulls with: the DS reference, or the plain-Java constructor's supplier. */
    private final Supplier<ImageService> images;
    /** The root disk builder, for the root a capture links (decision 1247). */
    private final Supplier<RootfsBuilder> rootfs;
    /** The network service that attaches networked sandboxes (and takes live policy updates), if one runs. */
    private final Supplier<NetworkService> networks;
    /** The named-volume service mounts of kind VOLUME resolve through, if one runs. */
    private final Supplier<VolumeService> volumes;
    private final VmBooter booter;
    /** Moves secret values into the secret store at create and resolves them at attach (decision 1316). */
    private final SandboxSecrets secrets;
    /** The disk snapshots a create may start from (decision 1235). */
    private final SnapshotArtifacts snapshots;
    /** Every sandbox's captured output and lifecycle markers (decision 1017). */
    private final LogBook logs;
    /** VMs this process is connected to; the pid in the store is the fallback for the others. */
    private final ConcurrentMap<String, LiveVm> live = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Object> nameLocks = new ConcurrentHashMap<>();
    /** Sandboxes this process is booting: a Created/Starting record not in here was left by an earlier process. */
    private final Set<String> booting = ConcurrentHashMap.newKeySet();
    /** Sandboxes whose run a stop, kill or drain is ending: their VM exits before the run's end is recorded. */
    private final Set<String> ending = ConcurrentHashMap.newKeySet();
    /**
     * Sandboxes this process paused (decision 1220), so exec and file calls are refused without a store read; the
     * store's status decides wherever the sandbox's lock is held.
     */
    private final Set<String> paused = ConcurrentHashMap.newKeySet();
    private final CpuWindows cpuWindows = new CpuWindows();
    private volatile Supervisor supervisor;
    /** The warm pools configured now (decision 1260), asked in order by every create. */
    private final List<WarmPool> pools = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Activate
    public SandboxLifecycle(@Reference(name = "store") SandboxStore store,
            @Reference(name = "agents") AgentConnector agents, RuntimeConfig config, ComponentContext context) {
        this.store = store;
        this.secrets = new SandboxSecrets(() -> secretStore,
                SandboxSecrets.readable(config.secretEnvVariables(), System::getenv));
        this.settings = new RuntimeSettings(MsbHome.resolve(config.home()), config.defaultCpus(),
                config.defaultMemoryMib(), config.defaultBackend(), Duration.ofSeconds(config.stopGraceSeconds()));
        this.defaultBackend = config.defaultBackend();
        this.config = config;
        this.backends = bound::list;
        this.images = () -> imageService;
        this.rootfs = () -> rootfsBuilder;
        this.networks = () -> networkService;
        this.volumes = () -> volumeService;
        this.booter = new VmBooter(settings, agents, () -> imageService, () -> rootfsBuilder, networks, volumes,
                secrets, this::terminator);
        this.snapshots = new SnapshotArtifacts(settings.home().resolve("snapshots"));
        this.logs = new LogBook(new LogFiles((long) config.logFileMib() << 20, config.logFiles()), settings::sandboxDir);
        publishHome(context, settings.home());
        // the VMM backends are bound after this constructor: recovery runs first thing on the supervisor's thread
        supervise(Duration.ofSeconds(1), this::recover);
    }

    /** Plain-Java construction, outside OSGi, without a network service. */
    public SandboxLifecycle(SandboxStore store, RuntimeSettings settings, Supplier<List<VmmBackend>> backends,
            AgentConnector agents, Supplier<ImageService> images, Supplier<RootfsBuilder> rootfs) {
        this(store, settings, backends, agents, images, rootfs, () -> null);
    }

    /** Plain-Java construction, outside OSGi. */
    public SandboxLifecycle(SandboxStore store, RuntimeSettings settings, Supplier<List<VmmBackend>> backends,
            AgentConnector agents, Supplier<ImageService> images, Supplier<RootfsBuilder> rootfs,
            Supplier<NetworkService> networks) {
        this(store, settings, backends, agents, images, rootfs, networks, () -> null);
    }

    /** Plain-Java construction, outside OSGi, with a named-volume service. */
    public SandboxLifecycle(SandboxStore store, RuntimeSettings settings, Supplier<List<VmmBackend>> backends,
            AgentConnector agents, Supplier<ImageService> images, Supplier<RootfsBuilder> rootfs,
            Supplier<NetworkService> networks, Supplier<VolumeService> volumes) {
        this.store = store;
        this.secrets = new SandboxSecrets(() -> secretStore, SandboxSecrets.readable(new String[0], System::getenv));
        this.settings = settings;
        this.defaultBackend = settings.defaultBackend();
        this.backends = backends;
        this.images = images;
        this.rootfs = rootfs;
        this.networks = networks;
        this.volumes = volumes;
        this.booter = new VmBooter(settings, agents, images, rootfs, networks, volumes, secrets, this::terminator);
        this.snapshots = new SnapshotArtifacts(settings.home().resolve("snapshots"));
        this.logs = new LogBook(LogFiles.DEFAULTS, settings::sandboxDir);
        recover();
    }

    /**
     * A network service that appears while sandboxes run (started after this runtime, or restarted) gets their
     * networks attached again, on the supervisor's thread after the recovery: their VMs wait for it on their
     * sockets.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindNetworkService(NetworkService service) {
        networkService = service;
        Supervisor s = supervisor;
        if (s != null) {
            s.later(this::reattachNetworks);
        }
    }

    /**
     * A VMM backend that appears (its bundle started or updated) gives the sandboxes it runs fresh handles, on the
     * supervisor's thread (decision 1703).
     */
    @Reference(name = "vmmBackends", service = VmmBackend.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void bindVmmBackend(VmmBackend backend, Map<String, Object> properties) {
        bound.add(backend, properties);
        vmmBackendAdded(backend);
    }

    /** Nothing is closed or killed: the VMs it started run on, and their handles stay usable (decision 1702). */
    void unbindVmmBackend(VmmBackend backend) {
        bound.remove(backend);
    }

    /**
     * Reattaches the live sandboxes {@code backend} runs: called by OSGi when it is bound, by plain-Java callers
     * after their backends' supplier changed.
     */
    public void vmmBackendAdded(VmmBackend backend) {
        Supervisor s = supervisor;
        if (s != null) {
            s.later(() -> reattachTo(backend));
        } else {
            reattachTo(backend);
        }
    }

    /**
     * The secret store: when it appears after the recovery (the runtime's references are bound in any order), the
     * networks of running sandboxes with secrets, which could not be attached without it, are attached now.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindSecretStore(SecretStore store) {
        secretStore = store;
        Supervisor s = supervisor;
        if (s != null) {
            s.later(this::reattachNetworks);
        }
    }

    void unbindSecretStore(SecretStore store) {
        if (secretStore == store) {
            secretStore = null;
        }
    }

    void unbindNetworkService(NetworkService service) {
        if (networkService == service) {
            networkService = null;
        }
    }

    /**
     * The secret store, for plain-Java construction (OSGi binds the service); the networks of running sandboxes that
     * the recovery could not attach without it are attached now.
     */
    public void secretStore(SecretStore store) {
        bindSecretStore(store);
        if (supervisor == null) {
            reattachNetworks();
        }
    }

    /**
     * What the network calls to stop sandbox {@code name} (a secret's block-and-terminate violation): the sandbox is
     * killed at once, on another thread (the network's must not wait for a VM to stop), its run ends with
     * {@link TerminationReason#SECRET_VIOLATION} and its log keeps the network's reason, which names no value.
     */
    private java.util.function.Consumer<String> terminator(String name) {
        return reason -> {
            String why = reason == null || reason.isBlank() ? "secret violation" : reason;
            LOG.log(System.Logger.Level.WARNING, "sandbox {0}: the network requested its termination: {1}", name, why);
            Thread t = new Thread(() -> {
                try {
                    synchronized (lockFor(name)) {
                        if (store.findSandbox(name).filter(r -> r.status().expectsLiveVm()).isEmpty()) {
                            return;
                        }
                        logs.system(name, "the network requested termination: " + why);
                    }
                    endRun(name, TerminationReason.SECRET_VIOLATION, Duration.ZERO);
                } catch (NotFoundException gone) {
                    // removed meanwhile
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot terminate sandbox " + name + " for the network", e);
                }
            }, "msb-terminate-" + name);
            t.setDaemon(true);
            t.start();
        };
    }

    /**
     * A new default backend applies to the next create, with every sandbox, connection and exec session left as it is;
     * any other change restarts this component, as before (decision 1707).
     */
    @Modified
    void modified(RuntimeConfig next, ComponentContext context) {
        if (RuntimeReconfiguration.onlyTheDefaultBackend(config, next)) {
            LOG.log(System.Logger.Level.INFO, "default backend: {0} (was {1}); running sandboxes keep theirs",
                    next.defaultBackend(), defaultBackend);
            defaultBackend = next.defaultBackend();
            config = next;
        } else {
            RuntimeReconfiguration.restart(context);
        }
    }

    /** Lets go of the VMs without stopping them: detached ones are found again by the next runtime. */
    @Deactivate
    public void deactivate() {
        if (supervisor != null) {
            supervisor.close();
        }
        List<LiveVm> vms = List.copyOf(live.values());
        live.clear(); // first: a relay closing below is then not taken for a crash
        vms.forEach(LiveVm::disconnect);
        logs.closeAll();
    }

    /** Starts enforcing idle timeouts and maximum durations, checking every {@code interval}. */
    Supervisor supervise(Duration interval) {
        return supervise(interval, () -> { });
    }

    private Supervisor supervise(Duration interval, Runnable first) {
        supervisor = new Supervisor(first, new Supervisor.Sandboxes() {
            @Override
            public Map<String, LiveVm> live() {
                return live;
            }

            @Override
            public void end(String name, TerminationReason reason) {
                endRun(name, reason, settings.stopGrace());
            }

            @Override
            public void reconcile(String name) {
                synchronized (lockFor(name)) {
                    store.findSandbox(name).map(SandboxLifecycle.this::reconciled);
                }
            }

            @Override
            public void running(String name) {
                logs.kernelConsole(name); // what the kernel prints while it runs (an OOM kill, a warning)
            }

            @Override
            public boolean paused(String name) {
                return paused.contains(name);
            }
        }, interval);
        return supervisor;
    }

    /**
     * Makes {@code vm} the live VM of {@code name}, with the limits the supervisor enforces (from the spec, read
     * once here) and a watch on its agent connection: when that closes, the supervisor looks at once whether the
     * VM died instead of waiting for its next pass.
     */
    private LiveVm track(String name, LiveVm vm, SandboxSpec spec, Instant runStartedAt) {
        LiveVm tracked = vm.withLimits(LiveVm.Limits.of(spec, runStartedAt));
        logs.capture(name, tracked.relay());
        return watch(name, tracked);
    }

    /** Makes {@code tracked} the live VM of {@code name}, looked at as soon as its agent connection closes. */
    private LiveVm watch(String name, LiveVm tracked) {
        live.put(name, tracked);
        tracked.relay().closed().thenRun(() -> {
            Supervisor s = supervisor;
            if (s != null) {
                s.agentGone(name, tracked);
            }
        });
        return tracked;
    }

    /**
     * Gives every sandbox whose run is live and whose recorded backend is {@code backend} (or none, a record from
     * before 2.7) a handle from it (decision 1703): the connection to its agent stays if it is open, else a new one is
     * made. The handle held before stays referenced (see {@link LiveVm#origin()}).
     */
    private void reattachTo(VmmBackend backend) {
        for (SandboxRecord listed : store.listSandboxes(LabelSelector.ALL)) {
            String name = listed.name();
            synchronized (lockFor(name)) {
                try {
                    Optional<SandboxRecord> record = store.findSandbox(name).filter(this::vmRuns)
                            .filter(r -> runsOn(r, backend.name()));
                    Optional<RunRecord> run = record.flatMap(r -> store.latestRun(name)).filter(RunRecord::running);
                    Optional<VmHandle> fresh = run.flatMap(r -> backend.reattach(name, r.pid(), settings.sandboxDir(name)));
                    if (fresh.isEmpty()) {
                        continue; // not its VM, or gone: a read reconciles that
                    }
                    LiveVm current = live.get(name);
                    if (current != null && current.agent().isOpen()) {
                        watch(name, current.withVm(fresh.get()));
                    } else if (record.get().status() == SandboxStatus.PAUSED) {
                        continue; // a frozen guest answers no handshake: the resume connects, as after a restart
                    } else {
                        if (current != null) {
                            live.remove(name); // first: its relay closing is then not taken for a crash
                            current.disconnect();
                        }
                        track(name, booter.reconnect(fresh.get(), settings.sandboxDir(name)),
                                SpecJson.read(record.get().configJson()), run.get().startedAt());
                    }
                    LOG.log(System.Logger.Level.INFO, "sandbox {0}: reattached to VMM backend {1} (pid {2})", name,
                            backend.name(), fresh.get().pid());
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "sandbox " + name + ": cannot reattach to VMM backend "
                            + backend.name(), e);
                }
            }
        }
    }

    /** Whether {@code record}'s VM is one of backend {@code vmm}'s: recorded so, or recorded before 2.7 (none). */
    private static boolean runsOn(SandboxRecord record, String vmm) {
        String recorded = SpecJson.read(record.configJson()).backend();
        return recorded == null || recorded.equals(vmm);
    }

    /**
     * Adds the resolved home to the service properties, so consoles and tests see where this runtime keeps its
     * state (the configured value may be empty). DS has no portable way to add a computed service property;
     * Felix SCR, the SCR of Felix and Karaf, offers one.
     */
    static void publishHome(ComponentContext context, Path home) {
        if (context instanceof ExtComponentContext ext) {
            Dictionary<String, Object> properties = new Hashtable<>();
            for (Enumeration<String> keys = context.getProperties().keys(); keys.hasMoreElements();) {
                String key = keys.nextElement();
                properties.put(key, context.getProperties().get(key));
            }
            properties.put("msb.home", home.toString());
            ext.setServiceProperties(properties);
        }
    }

    @Override
    public String name() {
        return LOCAL;
    }

    /**
     * Validates, resolves the image and chooses the backend before anything is written; then record, directory,
     * VM (its pid journaled as the run as soon as it exists), agent. A create that fails leaves nothing: the VM
     * is killed and the record and directory are removed (decision 0013).
     */
    @Override
    public SandboxHandle create(SandboxSpec asked) {
        long began = System.nanoTime();
        SandboxHandle handle;
        try {
            handle = createReady(asked);
        } catch (RuntimeException | Error e) {
            tell(o -> o.failed(asked.name(), "create", e));
            throw e;
        }
        if (!observers.isEmpty()) {
            Duration took = Duration.ofNanos(System.nanoTime() - began);
            String backend = store.findSandbox(asked.name()).map(r -> SpecJson.read(r.configJson()).backend())
                    .orElse(null);
            tell(o -> o.created(asked.name(), backend, took));
        }
        return handle;
    }

    /** Sets the observers when not running under DS. */
    public void setObservers(List<PlatformObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    /** Tells the observers of an event (decision 1871): none of them can fail the work that caused it. */
    void tell(java.util.function.Consumer<PlatformObserver> event) {
        PlatformObserver.tellAll(observers, event);
    }

    private SandboxHandle createReady(SandboxSpec asked) {
        Laps laps = new Laps(asked.name() + " create");
        secrets.checkRequested(asked);
        SnapshotInfo snapshot = asked.fromSnapshot() == null ? null : snapshot(asked.fromSnapshot());
        if (snapshot != null && snapshot.resumable()) {
            FromSnapshot.requireSameMachine(asked, snapshot);
        }
        SandboxSpec requested = snapshot == null ? asked : FromSnapshot.spec(asked, snapshot,
                ref -> Optional.ofNullable(images.get()).flatMap(s -> s.find(ref)).map(ImageInfo::manifestDigest));
        SandboxSpec spec = withDefaults(SpecValidator.validateMounts(SpecValidator.validate(requested),
                settings.home(), volumes.get()));
        SpecValidator.validateSocketPath(spec.name(), settings.home().resolve("sandboxes"));
        VmmBackend vmm = backendFor(spec); // before anything is replaced or written: a refusal changes nothing
        if (snapshot != null && snapshot.resumable()) {
            requireFeature(vmm, VmmCapabilities.Feature.SNAPSHOTS, "fromSnapshot", "restore a resumable snapshot");
        }
        spec = spec.toBuilder().backend(vmm.name()).build(); // recorded: every later call uses this backend
        VmBooter.requireNetwork(spec, networks.get());
        if (spec.networkEnabled()) {
            secrets.checkEnvironment(spec.network()); // a snapshot's env sources too, before anything is written
            if (spec.network().trustHostCas()) {
                GuestCa.hostBundle(); // refused now if the host has none, rather than at the boot
            }
            if (spec.network().tlsEnabled() && networks.get().interceptCaPem().isEmpty()) {
                throw new UnsupportedFeatureException("network.tls: sandbox " + spec.name() + " needs TLS interception"
                        + (spec.network().hasSecrets() ? " (it has secrets)" : "") + ", which the network service"
                        + " does not offer");
            }
        }
        synchronized (lockFor(spec.name())) {
            if (store.findSandbox(spec.name()).isPresent()) {
                if (!requested.replace()) {
                    throw new AlreadyExistsException("sandbox", spec.name());
                }
                discard(spec.name());
            }
            // a directory without a record is what a crashed create or remove left: nothing owns it
            killUnrecordedVm(spec.name());
            logs.forget(spec.name());
            deleteTree(settings.sandboxDir(spec.name()));
            laps.lap("checks");
            SandboxSpec pulled = resolveImage(spec);
            laps.lap("image");
            Instant now = Instant.now();
            booting.add(spec.name());
            try {
                try {
                    // the values move to the secret store: the record, and all that copies it, keeps references
                    spec = secrets.keep(spec);
                    store.insertSandbox(new SandboxRecord(spec.name(), SpecJson.write(spec), SandboxStatus.CREATED,
                            spec.ephemeral(), spec.labels(), now, now));
                } catch (RuntimeException e) {
                    try {
                        secrets.removeAll(SandboxSecrets.prefix(spec.name()));
                    } catch (RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                    throw e;
                }
                SandboxSpec bootSpec = pulled.toBuilder().network(spec.network()).build();
                try {
                    if (snapshot != null) {
                        seedUpper(snapshot, settings.sandboxDir(spec.name()));
                        return snapshot.resumable() ? restore(bootSpec, vmm, snapshot) : boot(bootSpec, vmm, null);
                    }
                    laps.lap("record");
                    Optional<WarmPool.Entry> warm = takeWarm(bootSpec);
                    SandboxHandle handle = warm.isPresent() ? adopt(bootSpec, warm.get()) : boot(bootSpec, vmm);
                    laps.lap(warm.isPresent() ? "warm VM adopted" : "booted");
                    laps.log();
                    return handle;
                } catch (RuntimeException | Error e) {
                    try {
                        discard(spec.name());
                    } catch (RuntimeException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                    throw e;
                }
            } finally {
                booting.remove(spec.name());
            }
        }
    }

    private SnapshotInfo snapshot(String name) {
        LocalSnapshotService.name("fromSnapshot", name);
        return snapshots.read(name).orElseThrow(() -> new NotFoundException("snapshot", name));
    }

    /** The snapshot's disk, checked against its digest, becomes the new sandbox's writable disk before its boot. */
    private void seedUpper(SnapshotInfo snapshot, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        snapshots.copyUpperTo(snapshot.name(), dir.resolve(SnapshotManifest.UPPER), !snapshot.resumable());
    }

    /**
     * Pulls the image before any record exists, so a bad reference, a missing image or an unreachable registry
     * fails the create with nothing to clean up; the boot then uses the cached image (pull policy NEVER).
     */
    private SandboxSpec resolveImage(SandboxSpec spec) {
        if (!(spec.rootfs() instanceof RootfsSource.OciImage oci)) {
            return spec;
        }
        ImageService service = images.get();
        if (service == null) {
            throw new UnsupportedFeatureException("no ImageService (io.msb.image) is running");
        }
        service.pull(oci.reference(), spec.pullPolicy(), event -> { });
        return spec.toBuilder().pullPolicy(PullPolicy.NEVER).build();
    }

    @Override
    public SandboxHandle start(String name) {
        synchronized (lockFor(name)) {
            SandboxRecord record = reconciled(require(name));
            if (record.status().expectsLiveVm()) {
                return handle(name);
            }
            SandboxSpec spec = SpecJson.read(record.configJson());
            try {
                return boot(spec, backendFor(spec)); // the recorded backend, never the current default (decision 1701)
            } catch (RuntimeException | Error e) {
                tell(o -> o.failed(name, "start", e));
                throw e;
            }
        }
    }

    /**
     * Boots the VM of a recorded sandbox and records the run. A failure leaves the record Stopped with
     * nothing running, so nothing half-made stays behind.
     */
    private SandboxHandle boot(SandboxSpec spec, VmmBackend vmm) {
        return boot(spec, vmm, null);
    }

    /** @param resumeFrom a resumable snapshot whose saved VM runs on instead of a boot, or null */
    private SandboxHandle boot(SandboxSpec spec, VmmBackend vmm, SnapshotInfo resumeFrom) {
        String name = spec.name();
        if (resumeFrom == null) {
            return start(spec, (run, started) -> booter.boot(spec,
                    vmSpec -> journal(name, vmm.start(vmSpec), run, started)));
        }
        Path state = resumeFrom.path().resolve(SnapshotManifest.MEMORY);
        return start(spec, (run, started) -> booter.restore(spec, resumeFrom.path(),
                vmSpec -> journal(name, vmm.restore(vmSpec, state), run, started)));
    }

    /**
     * Restores a resumable snapshot's VM for the new sandbox {@code spec}, once more from a fresh copy of its disk if
     * the first try fails: QEMU 7.2 under TCG sometimes dies (SIGSEGV, about 1 restore in 100 here) when a restored VM
     * is continued, before the guest runs (decision 1248).
     */
    private SandboxHandle restore(SandboxSpec spec, VmmBackend vmm, SnapshotInfo snapshot) {
        try {
            return boot(spec, vmm, snapshot);
        } catch (BootFailedException first) {
            LOG.log(System.Logger.Level.WARNING, "sandbox " + spec.name() + ": the restore of snapshot "
                    + snapshot.name() + " failed, trying once more: " + first.getMessage());
            seedUpper(snapshot, settings.sandboxDir(spec.name()));
            try {
                return boot(spec, vmm, snapshot);
            } catch (RuntimeException second) {
                second.addSuppressed(first);
                throw second;
            }
        }
    }

    /**
     * Gives a warm-pool VM to the new sandbox {@code spec} (decision 1260): its directory becomes the sandbox's, then
     * the booter hands it over (run journaled, network attached, identity taken) and it is tracked as any boot.
     */
    private SandboxHandle adopt(SandboxSpec spec, WarmPool.Entry entry) {
        Path dir = settings.sandboxDir(spec.name());
        try {
            Files.move(entry.dir(), dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            entry.discard();
            throw new UncheckedIOException("cannot move warm-pool VM " + entry.dir() + " to " + dir, e);
        }
        ImageConfig config = booter.imageConfig(spec); // the image is in the cache: resolveImage pulled it
        return start(spec, (run, started) -> booter.adopt(spec, entry.vm(), config,
                vm -> journal(spec.name(), vm, run, started)));
    }

    private interface VmStart {
        /** Starts the sandbox's VM, journaling it through {@link #journal} with these references, and connects. */
        LiveVm start(AtomicReference<RunRecord> run, AtomicReference<VmHandle> started);
    }

    /** What every start shares: the statuses and log lines around it, and the cleanup of a failure. */
    private SandboxHandle start(SandboxSpec spec, VmStart start) {
        String name = spec.name();
        long began = System.nanoTime();
        booting.add(name);
        LiveVm vm = null;
        AtomicReference<RunRecord> run = new AtomicReference<>();
        AtomicReference<VmHandle> started = new AtomicReference<>();
        paused.remove(name);
        try {
            store.updateStatus(name, SandboxStatus.STARTING, Instant.now());
            logs.booting(name);
            vm = start.start(run, started);
            logs.kernelConsole(name);
            logs.system(name, "sandbox started");
            store.updateStatus(name, SandboxStatus.RUNNING, Instant.now());
        } catch (RuntimeException | Error e) {
            logs.kernelConsole(name);
            logs.system(name, "sandbox failed to start: " + e.getMessage());
            if (vm != null) {
                vm.kill();
            } else if (started.get() != null) {
                started.get().kill(); // the booter failed past the VM's start without stopping it (an Error, say)
            }
            releaseNetwork(name);
            Instant now = Instant.now();
            try {
                Optional<RunRecord> running = store.latestRun(name).filter(RunRecord::running);
                if (running.isPresent()) {
                    store.terminateRun(running.get().id(), TerminationReason.FAILED, null, null, now, SandboxStatus.STOPPED);
                } else {
                    store.updateStatus(name, SandboxStatus.STOPPED, now);
                }
            } catch (RuntimeException store) {
                e.addSuppressed(store);
            }
            throw e;
        } finally {
            booting.remove(name);
            logs.wake(name);
        }
        track(name, vm, spec, run.get().startedAt());
        Duration took = Duration.ofNanos(System.nanoTime() - began);
        tell(o -> o.started(name, spec.backend(), took));
        return handle(name);
    }

    /**
     * Records a started VM's pid as the sandbox's run the moment the VM exists (before the agent
     * handshake), so a runtime that dies during a boot leaves a record of the process it started. The backend
     * keeps the pid's start time beside it (vm.properties), which every later signal checks. The recorded run is
     * put in {@code run}, the VM in {@code started}.
     */
    private VmHandle journal(String name, VmHandle vm, AtomicReference<RunRecord> run,
            AtomicReference<VmHandle> started) {
        started.set(vm);
        try {
            run.set(store.startRun(name, vm.pid(), Instant.now(), SandboxStatus.STARTING));
        } catch (RuntimeException e) {
            vm.kill(); // a VM nobody has a record of must not outlive the failed write
            throw e;
        }
        return vm;
    }

    /**
     * The connection to a running sandbox's agent: the one this process made, or, for a VM started by an
     * earlier runtime (a detached sandbox after a restart), a new one after the backend reattached to it.
     */
    LiveVm connection(String name) {
        LiveVm current = live.get(name);
        if (current != null && !paused.contains(name) && current.agent().isOpen() && current.vm().alive()) {
            return current; // the common case, without a store read
        }
        synchronized (lockFor(name)) {
            SandboxRecord record = requireReconciled(name);
            if (record.status() == SandboxStatus.PAUSED) {
                throw new InvalidStateException("sandbox " + name + " is paused: resume it first (msb resume " + name
                        + ")");
            }
            paused.remove(name); // the store says it is not paused (a crash or stop since)
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
                live.remove(name); // first: its relay closing is then not taken for a crash
                vm.disconnect();
            }
            Optional<LiveVm> reattached = reattach(name, run);
            if (reattached.isPresent()) {
                return track(name, reattached.get(), SpecJson.read(record.configJson()), run.startedAt());
            }
            throw new MsbException("sandbox " + name + " runs (pid " + run.pid()
                    + ") but no VMM backend can reattach to it");
        }
    }

    private Optional<LiveVm> reattach(String name, RunRecord run) {
        return findVm(name, run).map(vm -> booter.reconnect(vm, settings.sandboxDir(name)));
    }

    /**
     * Attaches the network of a sandbox whose VM runs but whose network this process's service does not serve
     * (after a server or network service restart): the same addresses again, and the stack reconnects to the
     * socket QEMU listens on. A failure is logged: the sandbox runs on without a network, as it did before.
     */
    private void reattachNetwork(String name, SandboxSpec spec) {
        NetworkService network = networks.get();
        if (network == null || !spec.networkEnabled() || network.attachment(name).isPresent()) {
            return;
        }
        try {
            booter.attach(network, spec, settings.sandboxDir(name));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot attach the network of running sandbox " + name, e);
        }
    }

    /** {@link #reattachNetwork} for every sandbox whose VM runs. */
    private void reattachNetworks() {
        for (SandboxRecord record : store.listSandboxes(LabelSelector.ALL)) {
            synchronized (lockFor(record.name())) {
                store.findSandbox(record.name()).map(this::reconciled).filter(this::vmRuns)
                        .ifPresent(r -> reattachNetwork(r.name(), SpecJson.read(r.configJson())));
            }
        }
    }

    /** A record whose VM is up (or finishing its boot in this process, which attaches the network itself). */
    private boolean vmRuns(SandboxRecord record) {
        return record.status().expectsLiveVm() && !booting.contains(record.name())
                && record.status() != SandboxStatus.STARTING;
    }

    /** Stops the sandbox's network, if any; called wherever a run ends, so every way out releases it. */
    private void releaseNetwork(String name) {
        NetworkService network = networks.get();
        if (network == null) {
            return;
        }
        try {
            network.detach(name);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot release the network of sandbox " + name, e);
        }
    }

    /** The run's VM process if a backend recognises it (pid and start time); empty when it is gone. */
    private Optional<VmHandle> findVm(String name, RunRecord run) {
        Path dir = settings.sandboxDir(name);
        List<VmmBackend> candidates = backendsOf(name);
        for (VmmBackend backend : candidates) {
            Optional<VmHandle> handle = backend.reattach(name, run.pid(), dir);
            if (handle.isPresent()) {
                return handle;
            }
        }
        if (candidates.isEmpty() && Processes.alive(run.pid())) {
            // without its backend nothing can tell our VM from a reused pid, and nothing can stop it either
            String recorded = store.findSandbox(name).map(r -> SpecJson.read(r.configJson()).backend()).orElse(null);
            throw new InvalidStateException(backendAway(name, recorded, "reach the VM (pid " + run.pid() + ") of"));
        }
        return Optional.empty();
    }

    /** The bound backends that may run {@code name}'s VM: its recorded one, or all for a record that names none. */
    private List<VmmBackend> backendsOf(String name) {
        String recorded = store.findSandbox(name).map(r -> SpecJson.read(r.configJson()).backend()).orElse(null);
        return recorded == null ? backends.get()
                : backends.get().stream().filter(b -> b.name().equals(recorded)).toList();
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
            if (requireReconciled(name).status() == SandboxStatus.RUNNING) {
                store.updateStatus(name, SandboxStatus.DRAINING, Instant.now());
            }
        }
        endRun(name, TerminationReason.DRAIN_REQUESTED, settings.stopGrace());
    }

    /** Ends the current run, then removes an ephemeral sandbox. */
    private void endRun(String name, TerminationReason reason, Duration grace) {
        synchronized (lockFor(name)) {
            SandboxRecord record = requireReconciled(name);
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
        ending.add(name);
        try {
            stopVmAndRecord(record, name, reason, grace);
        } finally {
            ending.remove(name);
            paused.remove(name);
        }
    }

    /**
     * A graceful stop of a Paused sandbox lets the guest run again so it can sync and unmount its disk (decision
     * 1222); if the VM cannot be resumed the signals end it.
     */
    private static void thawForShutdown(String name, VmHandle process) {
        try {
            process.resume();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot resume paused sandbox " + name + " to shut it down: it is"
                    + " terminated instead", e);
        }
    }

    /**
     * Moves a sandbox that is {@code from} to {@code to}: {@code act} changes the VM, then the store and the log
     * follow. A sandbox that is {@code to} already is answered as it is (pause and resume are idempotent); any other
     * state is refused, naming it.
     */
    private SandboxInfo transition(String name, SandboxStatus from, SandboxStatus to, String verb,
            Runnable act) {
        synchronized (lockFor(name)) {
            SandboxRecord record = requireReconciled(name);
            if (record.status() == to) {
                return toInfo(record);
            }
            if (record.status() != from) {
                throw new InvalidStateException("cannot " + verb + " sandbox " + name + ": it is "
                        + lower(record.status()) + " (only a " + lower(from) + " sandbox can be " + verb + "d)");
            }
            requireBackendOf(record, verb);
            act.run();
            Instant now = Instant.now();
            store.updateStatus(name, to, now);
            logs.system(name, "sandbox " + verb + "d");
            return toInfo(record.withStatus(to, now));
        }
    }

    @Override
    public SandboxInfo pause(String name) {
        return transition(name, SandboxStatus.RUNNING, SandboxStatus.PAUSED, "pause", () -> {
            VmHandle vm = vmOf(name);
            paused.add(name); // first: exec and fs calls are refused from here on
            try {
                vm.pause();
            } catch (RuntimeException e) {
                paused.remove(name);
                throw e;
            }
        });
    }

    /**
     * Continues the VM, then steps the guest's wall clock to the host's with {@code core.clock.sync}: while paused
     * the guest's clocks stood still (decision 1221).
     */
    @Override
    public SandboxInfo resume(String name) {
        synchronized (lockFor(name)) {
            SandboxInfo info = transition(name, SandboxStatus.PAUSED, SandboxStatus.RUNNING, "resume", () -> {
                vmOf(name).resume();
                paused.remove(name);
            });
            try {
                connection(name).agent().syncClock(Instant.now());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "sandbox " + name + " resumed, but its clock could not be set:"
                        + " it lags by the time it was paused", e);
            }
            return info;
        }
    }

    RuntimeSettings settings() {
        return settings;
    }

    VmBooter booter() {
        return booter;
    }

    /**
     * The spec snapshot {@code snapshot} keeps (decision 1316): its secrets' values copied under
     * {@code snapshot/<name>/}, so the snapshot outlives its sandbox and still holds no value itself.
     */
    SandboxSpec snapshotSpec(String snapshot, SandboxSpec spec) {
        if (spec.network() == null || !spec.network().hasSecrets()) {
            return spec;
        }
        secrets.removeAll(snapshotSecrets(snapshot));
        return spec.toBuilder().network(secrets.copyTo(spec.network(), snapshotSecrets(snapshot))).build();
    }

    /** Forgets the secret values of snapshot {@code snapshot} (removed, or its create failed). */
    void forgetSnapshotSecrets(String snapshot) {
        secrets.removeAll(snapshotSecrets(snapshot));
    }

    static String snapshotSecrets(String snapshot) {
        return "snapshot/" + snapshot + "/";
    }

    /** Starts {@code pool} and offers its VMs to every create it serves until {@link #removePool}. */
    void addPool(WarmPool pool) {
        pools.add(pool);
        pool.start();
    }

    /** Stops offering {@code pool}'s VMs and kills the ready ones. */
    void removePool(WarmPool pool) {
        pool.close(); // first: a closed pool serves no create, and it is listed until its VMs are gone
        pools.remove(pool);
    }

    private Optional<WarmPool.Entry> takeWarm(SandboxSpec spec) {
        for (WarmPool pool : pools) {
            Optional<WarmPool.Entry> entry = pool.take(spec);
            if (entry.isPresent()) {
                return entry;
            }
        }
        return Optional.empty();
    }

    /**
     * A warm-pool VM: the resumable snapshot's VM restored in {@code dir} over a copy of its upper, run until its
     * relay answers, paused (decision 1260).
     */
    LiveVm warm(SnapshotInfo snapshot, String entry, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        snapshots.copyUpperTo(snapshot.name(), dir.resolve(SnapshotManifest.UPPER), false);
        SandboxSpec spec = snapshot.spec();
        VmmBackend vmm = backendFor(spec);
        Path state = snapshot.path().resolve(SnapshotManifest.MEMORY);
        return booter.warm(entry, dir, snapshot.path(), spec.cpus(), spec.memoryMib(), spec.networkEnabled(),
                vmSpec -> vmm.restore(vmSpec, state));
    }

    /** What {@link #capture} wrote: the sandbox's spec and the backend that saved its VM. */
    record Capture(SandboxSpec spec, String backend) {
    }

    /**
     * Saves a running or paused sandbox's VM into {@code dir} for a resumable snapshot (decision 1247): its state
     * ({@code memory.bin}), a copy of its writable disk taken while the VM stands paused, its root disk (a hard link
     * to the cached image's, so the bytes the guest had open stay even if the cache is pruned) and the agent's
     * {@code core.ready}. A running sandbox is paused for it and resumed after; a paused one stays paused.
     */
    Capture capture(String name, Path dir) {
        synchronized (lockFor(name)) {
            SandboxRecord record = requireReconciled(name);
            if (record.status() != SandboxStatus.RUNNING && record.status() != SandboxStatus.PAUSED) {
                throw new InvalidStateException("cannot capture sandbox " + name + ": it is " + lower(record.status())
                        + " (a resumable snapshot needs a running or paused sandbox; a stopped one takes a disk"
                        + " snapshot)");
            }
            SandboxSpec spec = SpecJson.read(record.configJson());
            for (io.msb.api.Mount m : spec.mounts()) {
                if (m.kind() != io.msb.api.Mount.Kind.TMPFS) {
                    throw new InvalidStateException("cannot capture sandbox " + name + ": its mount at " + m.guestPath()
                            + " keeps its files on the host, outside any snapshot (only tmpfs mounts can be captured)");
                }
            }
            requireBackendOf(record, "capture");
            VmmBackend vmm = recordedBackend(record).orElseThrow();
            requireFeature(vmm, VmmCapabilities.Feature.SNAPSHOTS, "sandbox", "capture a running sandbox's VM");
            boolean running = record.status() == SandboxStatus.RUNNING;
            if (running) {
                pause(name);
            }
            try {
                Path sandboxDir = settings.sandboxDir(name);
                vmOf(name).saveState(dir.resolve(SnapshotManifest.MEMORY));
                DiskCopy.copy(sandboxDir.resolve(SnapshotManifest.UPPER), dir.resolve(SnapshotManifest.UPPER));
                linkOrCopy(rootDiskOf(spec), dir.resolve(SnapshotManifest.ROOT));
                Files.copy(sandboxDir.resolve("agent.ready"), dir.resolve(SnapshotManifest.READY));
                return new Capture(spec, vmm.name());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot capture sandbox " + name + " into " + dir, e);
            } finally {
                if (running) {
                    resume(name);
                }
            }
        }
    }

    /** The image's cached root disk, which the sandbox's VM has open. */
    private Path rootDiskOf(SandboxSpec spec) {
        if (!(spec.rootfs() instanceof RootfsSource.OciImage oci)) {
            throw new InvalidStateException("sandbox " + spec.name() + " has no OCI image root (" + spec.rootfs()
                    + "); only an image-based sandbox can be captured");
        }
        ImageService service = images.get();
        RootfsBuilder builder = rootfs.get();
        if (service == null || builder == null) {
            throw new UnsupportedFeatureException("capturing a sandbox needs ImageService and RootfsBuilder");
        }
        ImageInfo image = service.find(oci.reference()).orElseThrow(() -> new InvalidStateException("the image "
                + oci.reference() + " of sandbox " + spec.name() + " is no longer in the local cache"));
        return builder.rootDisk(image).path();
    }

    private static void linkOrCopy(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to); // another file system than the cache's
        }
    }

    /** The VM process of a sandbox whose run is live: the connected one, else the one a backend recognises. */
    private VmHandle vmOf(String name) {
        LiveVm vm = live.get(name);
        if (vm != null) {
            return vm.vm();
        }
        RunRecord run = store.latestRun(name).filter(RunRecord::running)
                .orElseThrow(() -> new MsbException("sandbox " + name + " has no running run"));
        return findVm(name, run).orElseThrow(() -> new MsbException("sandbox " + name + ": no VMM backend"
                + " recognises its VM (pid " + run.pid() + ")"));
    }

    /**
     * After a restart, what the VM itself says wins: a VM paused by an earlier process whose record says Running
     * (it died between the pause and the write) is Paused, and the other way round.
     */
    private SandboxRecord pausedAsTheVmSays(SandboxRecord record) {
        if (record.status() != SandboxStatus.RUNNING && record.status() != SandboxStatus.PAUSED) {
            return record;
        }
        boolean vmPaused;
        try {
            vmPaused = vmOf(record.name()).paused();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot ask the VM of sandbox " + record.name()
                    + " whether it is paused", e);
            return record;
        }
        SandboxStatus actual = vmPaused ? SandboxStatus.PAUSED : SandboxStatus.RUNNING;
        if (actual == record.status()) {
            return record;
        }
        Instant now = Instant.now();
        store.updateStatus(record.name(), actual, now);
        return record.withStatus(actual, now);
    }

    private static String lower(SandboxStatus status) {
        return status.name().toLowerCase(java.util.Locale.ROOT);
    }

    private void stopVmAndRecord(SandboxRecord record, String name, TerminationReason reason, Duration grace) {
        Optional<RunRecord> run = store.latestRun(name).filter(RunRecord::running);
        LiveVm vm = live.remove(name);
        VmHandle process = vm != null ? vm.vm() : run.flatMap(r -> findVm(name, r)).orElse(null);
        Optional<ProcessHandle> launcher = process == null ? Optional.empty() : Processes.parentOf(process.pid());
        boolean kill = grace.isZero();
        if (record.status() == SandboxStatus.PAUSED && process != null && !kill) {
            thawForShutdown(name, process); // before the agent is asked anything: a frozen guest answers nothing
        }
        if (vm == null && process != null && !kill) {
            try {
                vm = booter.reconnect(process, settings.sandboxDir(name)); // an earlier runtime's VM: ask its agent too
            } catch (RuntimeException e) {
                // the agent does not answer: the signals decide
            }
        }
        if (vm != null) {
            if (kill) {
                vm.kill();
            } else {
                vm.shutdown(grace);
            }
        } else if (process != null) {
            if (kill) {
                process.kill();
            } else {
                process.terminate(grace);
            }
        }
        if (process != null && process.alive()) {
            throw new MsbException("sandbox " + name + ": the VM (pid " + process.pid() + ") is still running");
        }
        launcher.ifPresent(Processes::awaitExit); // it writes into the sandbox directory until it exits
        releaseNetwork(name);
        // the relay delivered its exec output on closing: the marker is the last entry, before the status says stopped
        logs.kernelConsole(name);
        logs.system(name, "sandbox stopped (" + reason.name().toLowerCase(java.util.Locale.ROOT) + ")");
        Instant now = Instant.now();
        try {
            if (run.isPresent()) {
                store.terminateRun(run.get().id(), reason, null, kill ? SIGKILL : null, now, SandboxStatus.STOPPED);
                tell(o -> o.stopped(name, reason));
            } else {
                store.updateStatus(name, SandboxStatus.STOPPED, now);
            }
        } finally {
            logs.rest(name);
            logs.wake(name);
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
            if (!force && requireReconciled(name).status().expectsLiveVm()) {
                throw new StillRunningException(name);
            }
            discard(name);
        }
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector) {
        return store.listSandboxes(selector == null ? LabelSelector.ALL : selector).stream()
                .map(this::reconciled).filter(Objects::nonNull).map(this::toInfo).toList();
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector, String afterName, int limit) {
        return store.listSandboxes(selector == null ? LabelSelector.ALL : selector, afterName, limit).stream()
                .map(this::reconciled).filter(Objects::nonNull).map(this::toInfo).toList();
    }

    @Override
    public Optional<SandboxInfo> get(String name) {
        return store.findSandbox(name).map(this::reconciled).map(this::toInfo);
    }

    @Override
    public Optional<SandboxInfo> getById(UUID id) {
        return store.findSandboxById(id).map(this::reconciled).map(this::toInfo);
    }

    @Override
    public <T> T withSandbox(UUID id, Function<String, T> action) {
        String name = store.findSandboxById(id).map(SandboxRecord::name)
                .orElseThrow(() -> new NotFoundException("sandbox", id.toString()));
        synchronized (lockFor(name)) {
            // every create, remove and stop of the name holds this lock: checked again under it, the id is the name's
            if (store.findSandboxById(id).filter(r -> r.name().equals(name)).isEmpty()) {
                throw new NotFoundException("sandbox", id.toString());
            }
            return action.apply(name);
        }
    }

    @Override
    public LogStream logs(String name, Set<LogSource> sources, LogCursor from, boolean follow) {
        require(name);
        // the stored status, not a reconciling read: a follower polling must not race a stop in progress (whose VM
        // is gone before its record says so); a crash is reconciled by the supervisor when the relay closes
        return logs.open(name, sources, from, follow,
                () -> store.findSandbox(name).map(r -> r.status().expectsLiveVm()).orElse(false));
    }

    @Override
    public SandboxHandle handle(String name) {
        require(name);
        return new LocalSandboxHandle(this, name, new ExecLog(settings.sandboxDir(name)));
    }

    /**
     * Keeps the new policy in the spec (the next boot uses it) and hands it to the running network, whose new
     * flows follow it at once; open connections are left alone.
     */
    @Override
    public SandboxInfo updateNetworkPolicy(String name, NetworkPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        synchronized (lockFor(name)) {
            SandboxRecord record = requireReconciled(name);
            SandboxSpec spec = SpecJson.read(record.configJson());
            if (!spec.networkEnabled()) {
                throw new InvalidConfigException("network", "sandbox " + name
                        + " has no network (network.enabled is false): there is no policy to change");
            }
            SandboxSpec updated = spec.toBuilder().network(spec.network().withPolicy(policy)).build();
            SandboxRecord changed = record.withConfig(SpecJson.write(updated));
            store.updateConfig(name, changed.configJson());
            NetworkService network = networks.get();
            if (network != null && record.status().expectsLiveVm()) {
                try {
                    network.update(name, policy);
                } catch (NotFoundException e) {
                    LOG.log(System.Logger.Level.WARNING, "sandbox {0} runs without an attached network: its new"
                            + " policy applies from its next start", name);
                }
            }
            return toInfo(changed);
        }
    }

    /**
     * A sandbox that should have a live VM but whose VM process is gone has crashed: its run ends with
     * InternalError. Runs on every read, so a crash is seen however the sandbox is looked at.
     */
    private SandboxRecord reconciled(SandboxRecord record) {
        if (incompleteBoot(record)) {
            synchronized (lockFor(record.name())) {
                Optional<SandboxRecord> current = store.findSandbox(record.name());
                return current.isPresent() && incompleteBoot(current.get()) ? recoverBoot(current.get())
                        : current.map(this::reconciled).orElse(null);
            }
        }
        if (!record.status().expectsLiveVm() || ending.contains(record.name())) {
            return record; // a VM that a stop is ending is not a crash: the stop records how it ended
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
        if (!booting.contains(record.name())) {
            killUnrecordedVm(record.name()); // a VM of a boot no run records must not outlive a Crashed record
            releaseNetwork(record.name()); // a boot in progress releases its own on failure
        }
        if (run.isPresent()) {
            try {
                store.terminateRun(run.get().id(), TerminationReason.INTERNAL_ERROR, null, null, now,
                        SandboxStatus.CRASHED);
                tell(o -> o.stopped(record.name(), TerminationReason.INTERNAL_ERROR));
                logs.kernelConsole(record.name());
                logs.system(record.name(), "sandbox crashed: its VM process is gone");
                logs.wake(record.name());
            } catch (MsbException e) {
                // another reader (or the recovery) reconciled the same crash first: what it wrote stands
                if (store.latestRun(record.name()).filter(r -> r.id() == run.get().id() && r.running()).isPresent()) {
                    throw e;
                }
                return store.findSandbox(record.name()).orElse(null);
            }
        } else if (record.status() != SandboxStatus.STARTING) {
            store.updateStatus(record.name(), SandboxStatus.CRASHED, now);
        } else {
            return record; // booting: the run is recorded once the VM has a pid
        }
        return record.withStatus(SandboxStatus.CRASHED, now);
    }

    private SandboxRecord requireReconciled(String name) {
        SandboxRecord record = reconciled(require(name));
        if (record == null) {
            throw new NotFoundException("sandbox", name);
        }
        return record;
    }

    /** A Created or Starting record that no boot of this process owns: an earlier process died while booting it. */
    private boolean incompleteBoot(SandboxRecord record) {
        return (record.status() == SandboxStatus.CREATED || record.status() == SandboxStatus.STARTING)
                && !booting.contains(record.name());
    }

    /**
     * Finishes or rolls back a boot an earlier process left: a VM that is still ours (pid and start time) and whose
     * agent answers makes the sandbox Running; any other VM is killed and the run ends Crashed (InternalError).
     * A create that never got a VM is rolled back entirely (record and directory); null then.
     */
    private SandboxRecord recoverBoot(SandboxRecord record) {
        String name = record.name();
        Optional<RunRecord> run = store.latestRun(name).filter(RunRecord::running);
        Instant now = Instant.now();
        if (run.isEmpty()) {
            killUnrecordedVm(name); // started by a runtime that died before it recorded the run
            releaseNetwork(name);
            if (store.runs(name).isEmpty()) {
                discard(name);
                return null;
            }
            store.updateStatus(name, SandboxStatus.STOPPED, now);
            return record.withStatus(SandboxStatus.STOPPED, now);
        }
        Optional<VmHandle> vm = findVm(name, run.get());
        if (vm.isPresent()) {
            try {
                SandboxSpec spec = SpecJson.read(record.configJson());
                track(name, booter.reconnect(vm.get(), settings.sandboxDir(name)), spec, run.get().startedAt());
                reattachNetwork(name, spec);
                store.updateStatus(name, SandboxStatus.RUNNING, now);
                return record.withStatus(SandboxStatus.RUNNING, now);
            } catch (RuntimeException e) {
                vm.get().kill();
            }
        }
        killUnrecordedVm(name); // whatever the run's pid says, no VM may outlive a record that says Crashed
        releaseNetwork(name);
        store.terminateRun(run.get().id(), TerminationReason.INTERNAL_ERROR, null, null, now, SandboxStatus.CRASHED);
        tell(o -> o.stopped(name, TerminationReason.INTERNAL_ERROR));
        return record.withStatus(SandboxStatus.CRASHED, now);
    }

    /**
     * Brings the store and the disk in line with the processes after a restart: every record reconciled (boots
     * left half-done are finished or rolled back), ephemeral sandboxes without a VM removed, and sandbox
     * directories without a record (a crash between the steps of create or remove) deleted.
     */
    void recover() {
        try {
            for (SandboxRecord record : store.listSandboxes(LabelSelector.ALL)) {
                synchronized (lockFor(record.name())) {
                    try {
                        SandboxRecord r = reconciled(record);
                        if (r != null && r.ephemeral() && !r.status().expectsLiveVm()) {
                            discard(r.name());
                        } else if (r != null && vmRuns(r)) {
                            pausedAsTheVmSays(r);
                            reattachNetwork(r.name(), SpecJson.read(r.configJson()));
                        }
                    } catch (RuntimeException e) { // one sandbox's failure must not leave the others unrecovered
                        LOG.log(System.Logger.Level.WARNING, "recovering sandbox " + record.name() + " failed", e);
                    }
                }
            }
            Path sandboxes = settings.home().resolve("sandboxes");
            if (Files.isDirectory(sandboxes)) {
                try (Stream<Path> dirs = Files.list(sandboxes)) {
                    for (Path dir : dirs.toList()) {
                        String name = dir.getFileName().toString();
                        synchronized (lockFor(name)) {
                            if (name.startsWith(TRASH) || store.findSandbox(name).isEmpty()) {
                                killUnrecordedVm(name);
                                deleteTree(dir);
                            }
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "recovering sandboxes after a restart failed", e);
        }
    }

    /**
     * Kills a VM that a backend still runs from the sandbox's directory although no run records its pid: the
     * runtime that started it died between the VM's start and the run's record (decision 0013). The backend
     * identifies it by what it wrote there (pid and start time), never by name alone.
     */
    private void killUnrecordedVm(String name) {
        Path dir = settings.sandboxDir(name);
        for (VmmBackend backend : backendsOf(name)) {
            backend.find(name, dir).ifPresent(vm -> {
                LOG.log(System.Logger.Level.WARNING, "killing VM {0} of sandbox {1}: no running run records it"
                        + " ({2})", vm.pid(), name, store.latestRun(name).map(Object::toString).orElse("no run"));
                vm.kill();
            });
        }
    }

    private SandboxInfo toInfo(SandboxRecord record) {
        NetworkService network = networks.get();
        Optional<NetworkAddresses> addresses = network == null || !record.status().expectsLiveVm() ? Optional.empty()
                : network.attachment(record.name()).map(SandboxLifecycle::addresses);
        return new SandboxInfo(record.id(), record.name(), record.status(), SpecJson.read(record.configJson()),
                record.createdAt(), record.updatedAt(), store.latestRun(record.name()).map(RunRecord::toInfo),
                addresses, backendAvailable(record));
    }

    /** The user's view of an attachment's parameters (the network service's contract: NETCONTRACT, decision 1101). */
    static NetworkAddresses addresses(NetworkAttachment attachment) {
        Map<String, String> p = attachment.parameters();
        String dns = p.getOrDefault("dns", "");
        return new NetworkAddresses(p.getOrDefault("ipv4", ""), p.getOrDefault("gateway", ""), p.get("mac"),
                Integer.parseInt(p.getOrDefault("mtu", "1500")), dns.isEmpty() ? List.of() : List.of(dns.split(",")),
                p.get("ipv6"), p.get("gateway6"));
    }

    /** Stops whatever still runs under the name and deletes its records and state directory. */
    private void discard(String name) {
        store.findSandbox(name)
                .ifPresent(record -> endRunLocked(record, TerminationReason.SHUTDOWN_REQUESTED, settings.stopGrace()));
        releaseNetwork(name); // also a network a crashed create or an earlier process left attached
        logs.forget(name);
        cpuWindows.forget(name);
        store.deleteSandbox(name);
        secrets.removeAll(SandboxSecrets.prefix(name)); // after the record: a crash between leaves no reference dangling
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

    /** The sandboxes' CPU percent windows (the handles come and go, the windows must stay). */
    CpuWindows cpuWindows() {
        return cpuWindows;
    }

    /** The traffic of the sandbox's network, or null when it has none attached here. */
    SandboxMetrics.Network networkTraffic(String name) {
        NetworkService network = networks.get();
        return network == null ? null : network.counters(name)
                .map(c -> new SandboxMetrics.Network(c.bytesIn(), c.bytesOut(), c.packetsIn(), c.packetsOut()))
                .orElse(null);
    }

    @Override
    public PlatformInfo platform() {
        VmmBackend selected = null;
        try {
            selected = selectBackend();
        } catch (UnsupportedFeatureException e) {
            // none available: every backend is listed as not selected
        }
        List<PlatformInfo.Backend> described = new java.util.ArrayList<>();
        for (VmmBackend b : backends.get()) {
            VmmCapabilities c = b.capabilities();
            described.add(new PlatformInfo.Backend(b.name(), b.available(), b == selected,
                    b.acceleration().orElse(null), b.guestKernelRelease().orElse(null), c.minCpus(), c.maxCpus(),
                    c.minMemoryMib(), c.maxMemoryMib(),
                    c.features().stream().map(Enum::name).collect(java.util.stream.Collectors.toSet())));
        }
        Map<SandboxStatus, Integer> counts = new java.util.EnumMap<>(SandboxStatus.class);
        for (SandboxInfo info : list(LabelSelector.ALL)) {
            counts.merge(info.status(), 1, Integer::sum);
        }
        List<PlatformInfo.Pool> warm = pools.stream().map(WarmPool::info).map(i -> new PlatformInfo.Pool(
                i.profile().image(), i.profile().cpus(), i.profile().memoryMib(), i.profile().network(), i.size(),
                i.ready(), i.taken(), i.missed(), i.lastError())).toList();
        return new PlatformInfo(settings.home(), defaultBackend, described, counts, warm);
    }

    /**
     * The backend that boots {@code spec}: the one it names (a create's choice, or the one a stored sandbox recorded),
     * else the default; its CPUs, memory and features are checked against what it declares (decision 1705).
     */
    private VmmBackend backendFor(SandboxSpec spec) {
        VmmBackend vmm = spec.backend() != null ? namedBackend(spec.backend()) : selectBackend();
        SpecValidator.validateLimits(spec, vmm.name(), vmm.capabilities());
        return vmm;
    }

    /**
     * The VMM backend named {@code name}, which must be running and available: a create or start that names one is
     * never moved to another (decision 1701).
     */
    private VmmBackend namedBackend(String name) {
        List<VmmBackend> running = backends.get();
        VmmBackend vmm = running.stream().filter(b -> b.name().equals(name)).findFirst()
                .orElseThrow(() -> Check.invalid("backend", "no VMM backend named " + name + " is running (running: "
                        + (running.isEmpty() ? "none" : String.join(", ", vmmNames())) + ")"));
        Optional<String> reason = vmm.unavailableReason();
        if (reason.isPresent()) {
            throw new UnsupportedFeatureException(reason.get().startsWith("backend " + name) ? reason.get()
                    : "backend " + name + ": " + reason.get());
        }
        return vmm;
    }

    /** The names of the VMM backends bound now, in order of preference. */
    List<String> vmmNames() {
        return backends.get().stream().map(VmmBackend::name).distinct().toList();
    }

    /** The configured backend if it is available, else the first available one (highest service ranking). */
    private VmmBackend selectBackend() {
        List<VmmBackend> available = backends.get().stream().filter(VmmBackend::available).toList();
        String preferred = defaultBackend;
        return available.stream().filter(b -> b.name().equals(preferred)).findFirst()
                .or(() -> available.stream().findFirst())
                .orElseThrow(() -> new UnsupportedFeatureException(
                        "no VMM backend is available (install and start io.msb.vmm.qemu)"));
    }

    /** Refuses what {@code vmm} does not declare, naming the backend, the feature and what needed it. */
    private static void requireFeature(VmmBackend vmm, VmmCapabilities.Feature feature, String field, String what) {
        if (!vmm.capabilities().supports(feature)) {
            throw Check.invalid(field, "backend " + vmm.name() + " does not support " + feature + " (needed to "
                    + what + ")");
        }
    }

    /**
     * The bound VMM backend that runs {@code record}'s VM, or empty while it is away. A record from before 2.7 names
     * none: any bound backend may have started it (each recognises only its own VMs).
     */
    private Optional<VmmBackend> recordedBackend(SandboxRecord record) {
        String recorded = SpecJson.read(record.configJson()).backend();
        return backends.get().stream().filter(b -> recorded == null || b.name().equals(recorded)).findFirst();
    }

    /** Whether the backend that runs {@code record} is bound and available now. */
    private boolean backendAvailable(SandboxRecord record) {
        return recordedBackend(record).map(VmmBackend::available).orElse(false);
    }

    /**
     * Refuses an operation that needs the sandbox's VMM backend while that backend is away (decision 1702), naming it
     * and how to bring it back.
     */
    private void requireBackendOf(SandboxRecord record, String verb) {
        if (recordedBackend(record).isEmpty()) {
            throw new InvalidStateException(backendAway(record.name(), SpecJson.read(record.configJson()).backend(),
                    verb));
        }
    }

    private static String backendAway(String name, String backend, String verb) {
        String which = backend == null ? "no VMM backend is running" : "its VMM backend " + backend + " is not running";
        return "cannot " + verb + " sandbox " + name + ": " + which + " (start its bundle, e.g. bundle:start"
                + " io.msb.vmm." + (backend == null ? "qemu" : backend) + "; the sandbox runs on meanwhile)";
    }

    SandboxRecord require(String name) {
        return store.findSandbox(name).orElseThrow(() -> new NotFoundException("sandbox", name));
    }

    private Object lockFor(String name) {
        return nameLocks.computeIfAbsent(name, n -> new Object());
    }

    /**
     * Renames the directory out of the way first: the name is free at once, and a straggler still holding the old
     * path (a launcher's last open of its FIFO, an exec log line) fails instead of writing into the tree being
     * deleted. A crash mid-way leaves a {@code .trash-} directory that {@link #recover()} deletes.
     */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path root = dir.resolveSibling(TRASH + dir.getFileName() + "-" + System.nanoTime());
        try {
            Files.move(dir, root, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
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
