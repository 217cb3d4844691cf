package io.msb.runtime.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.BootFailedException;
import io.msb.api.MsbException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.fs.FileType;
import io.msb.api.image.ImageConfig;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService;
import io.msb.api.spi.NetworkAttachment;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.volume.VolumeService;
import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentConnector;
import io.msb.protocol.AgentRelay;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.GuestBootstrap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Turns a recorded sandbox into a VM with a ready agent: root disk, writable upper, bootstrap, VM, relay,
 * client, workdir check. A failure kills what was started and leaves {@code logs/boot-error.json}.
 */
final class VmBooter {
    private static final System.Logger LOG = System.getLogger(VmBooter.class.getName());
    private static final int KERNEL_LOG_LINES = 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String READY_FILE = "agent.ready";
    /** Where io.msb.network's stack finds a sandbox's frame socket (its {@code attach} names it so). */
    static final String NETWORK_SOCKET = "net.sock";
    static final String NODE_EXTRA_CA_CERTS = "NODE_EXTRA_CA_CERTS";

    private final RuntimeSettings settings;
    private final AgentConnector agents;
    private final Supplier<ImageService> images;
    private final Supplier<RootfsBuilder> rootfs;
    private final Supplier<NetworkService> networks;
    private final Supplier<VolumeService> volumes;
    /** Resolves the spec's secret references for the network service (decision 1316). */
    private final SandboxSecrets secrets;
    /** For a sandbox's name, what stops it when its network asks (a secret's block-and-terminate violation). */
    private final Function<String, Consumer<String>> terminators;

    VmBooter(RuntimeSettings settings, AgentConnector agents, Supplier<ImageService> images,
            Supplier<RootfsBuilder> rootfs, Supplier<NetworkService> networks, Supplier<VolumeService> volumes) {
        this(settings, agents, images, rootfs, networks, volumes, new SandboxSecrets(() -> null, System::getenv),
                name -> reason -> { });
    }

    VmBooter(RuntimeSettings settings, AgentConnector agents, Supplier<ImageService> images,
            Supplier<RootfsBuilder> rootfs, Supplier<NetworkService> networks, Supplier<VolumeService> volumes,
            SandboxSecrets secrets, Function<String, Consumer<String>> terminators) {
        this.secrets = secrets;
        this.terminators = terminators;
        this.settings = settings;
        this.agents = agents;
        this.images = images;
        this.rootfs = rootfs;
        this.networks = networks;
        this.volumes = volumes;
    }

    /**
     * The network service a networked spec needs, or null for a spec without a network. Asking for a network
     * without the service is refused rather than booting a VM that silently has none.
     */
    static NetworkService requireNetwork(SandboxSpec spec, NetworkService service) {
        if (!spec.networkEnabled()) {
            return null;
        }
        return require(service, "network: sandbox " + spec.name() + " asks for a network (network.enabled is"
                + " true) but no NetworkService (io.msb.network) is running; install it or disable the network");
    }

    LiveVm boot(SandboxSpec spec, Function<VmSpec, VmHandle> startVm) {
        return launch(spec, (dir, network, vm) -> {
            Laps laps = new Laps(spec.name() + " boot");
            RootfsBuilder builder = require(rootfs.get(), "no RootfsBuilder service (io.msb.rootfs) is running");
            Root root = root(spec, builder);
            laps.lap("root disk");
            VmSpec.Disk upper = upper(dir.resolve("upper.ext4"), spec, builder, root.disk());
            laps.lap("upper disk");
            // before the VM: QEMU listens on the attachment's socket, the stack connects to it once it exists
            NetworkAttachment attachment = network == null ? null : attach(network, spec, dir);
            GuestMounts mounts = GuestMounts.of(spec.mounts(), volumes.get());
            GuestBootstrap bootstrap = bootstrap(spec, root.config(), attachment, mounts.bootstrap());
            laps.lap("network, mounts, bootstrap");
            vm.set(startVm.apply(new VmSpec(spec.name(), dir, null, null, List.of(bootstrap.kernelArgument()),
                    List.of(root.disk(), upper), spec.cpus(), spec.memoryMib(), spec.detached(), attachment,
                    mounts.shares(), mounts.disks())));
            laps.lap("VMM start");
            LiveVm live = connect(vm.get(), dir);
            laps.lap("agent ready");
            trustInterceptCa(live, spec, network);
            checkWorkdir(live.agent(), bootstrap.defaultCwd(), vm.get());
            laps.lap("workdir");
            laps.log();
            return live;
        });
    }

    /**
     * Restores a resumable snapshot's VM (decision 1248) for a sandbox whose writable disk is already the snapshot's:
     * the snapshot's own root disk, the same machine, a network attached under the new name, then the VM runs on,
     * the relay resumes with a ping (the agent served another host before) and the guest takes the new sandbox's
     * identity (hostname, addresses, environment, a fresh random seed, the clock).
     *
     * @param restoreVm starts the VM from the snapshot's saved state (paused)
     */
    LiveVm restore(SandboxSpec spec, Path snapshotDir, Function<VmSpec, VmHandle> restoreVm) {
        return launch(spec, (dir, network, vm) -> {
            ImageConfig config = imageConfig(spec);
            NetworkAttachment attachment = network == null ? null : attach(network, spec, dir);
            Laps laps = new Laps(spec.name() + " restore");
            LiveVm live = runSaved(spec.name(), dir, snapshotDir, spec.cpus(), spec.memoryMib(), spec.detached(),
                    attachment, restoreVm, vm);
            laps.lap("VM restored and reconnected");
            takeIdentity(live, spec, config, attachment, laps);
            laps.log();
            return live;
        });
    }

    /**
     * A warm-pool VM (decision 1260): the snapshot's saved VM restored in {@code dir} (whose upper is the snapshot's
     * already), run until its relay answers, then paused. It has no identity and no network stack yet: a take gives
     * it both ({@link #adopt}). Its network device waits on {@link #NETWORK_SOCKET} in {@code dir}.
     */
    LiveVm warm(String entry, Path dir, Path snapshotDir, int cpus, int memoryMib, boolean networked,
            Function<VmSpec, VmHandle> restoreVm) {
        AtomicReference<VmHandle> vm = new AtomicReference<>();
        try {
            Files.createDirectories(dir.resolve("logs"));
            NetworkAttachment attachment = networked ? new NetworkAttachment("stream",
                    Map.of("path", dir.resolve(NETWORK_SOCKET).toString())) : null;
            LiveVm live = runSaved(entry, dir, snapshotDir, cpus, memoryMib, false, attachment, restoreVm, vm);
            warmUp(live, networked);
            live.vm().pause();
            return live;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        } catch (RuntimeException e) {
            if (vm.get() != null) {
                vm.get().kill();
            }
            throw e;
        }
    }

    /** An identity nobody has, for a warm-pool VM's rehearsal (TEST-NET-1 addresses, a locally administered MAC). */
    private static final GuestBootstrap.Network REHEARSAL_NETWORK = new GuestBootstrap.Network("192.0.2.2", 30,
            "192.0.2.1", GuestBootstrap.Network.DEFAULT_MTU, List.of("192.0.2.1"), List.of(), "02:00:c0:00:02:02");

    /**
     * Runs once what a take will run, so that a restored VM under TCG has the guest code of those paths translated
     * (QEMU keeps its translations for the life of the process; a restored one starts with none): an identity apply
     * with network, hostname, environment, seed and clock, and a shell that runs a command (decision 1260).
     */
    private static void warmUp(LiveVm live, boolean networked) {
        GuestIdentity.apply(live.agent(), new GuestBootstrap("warm-pool", GuestBootstrap.env(Map.of()), null, null,
                List.of(), networked ? REHEARSAL_NETWORK : null, null, List.of()));
        live.agent().run(io.msb.api.exec.ExecOptions.of("/bin/sh", "-c", "echo warm").build());
    }

    /**
     * Gives a warm-pool VM, whose directory the caller already moved to the sandbox's, to the sandbox {@code spec}
     * (decision 1260): the backend follows the move, {@code journal} records the run, the VM detaches if the sandbox
     * is detached, the network is attached under the sandbox's name, and the VM runs on and takes the identity.
     */
    LiveVm adopt(SandboxSpec spec, LiveVm warm, ImageConfig config, java.util.function.UnaryOperator<VmHandle> journal) {
        return launch(spec, (dir, network, vm) -> {
            vm.set(warm.vm());
            Laps laps = new Laps(spec.name() + " adopt");
            try {
                VmHandle moved = journal.apply(warm.vm().movedTo(spec.name(), dir));
                vm.set(moved);
                if (spec.detached()) {
                    moved.detach();
                }
                laps.lap("moved and journaled");
                NetworkAttachment attachment = null;
                if (network != null) {
                    attachment = attach(network, spec, dir);
                    if (!dir.resolve(NETWORK_SOCKET).toString().equals(attachment.parameters().get("path"))) {
                        throw new MsbException("the network service attached " + attachment + ", not the socket "
                                + NETWORK_SOCKET + " a warm-pool VM waits on");
                    }
                }
                laps.lap("network");
                moved.resume();
                laps.lap("resume");
                LiveVm live = new LiveVm(moved, warm.relay(), warm.agent());
                takeIdentity(live, spec, config, attachment, laps);
                laps.log();
                return live;
            } catch (RuntimeException e) {
                warm.disconnect();
                throw e;
            }
        });
    }

    /**
     * Restores the saved VM of the snapshot in {@code snapshotDir} in {@code dir}, runs it and connects: the relay
     * resumes with a ping on the snapshot's {@code core.ready}, since the agent served another host before.
     */
    private LiveVm runSaved(String name, Path dir, Path snapshotDir, int cpus, int memoryMib, boolean detached,
            NetworkAttachment attachment, Function<VmSpec, VmHandle> restoreVm, AtomicReference<VmHandle> vm) {
        VmSpec.Disk root = new VmSpec.Disk(snapshotDir.resolve(SnapshotManifest.ROOT), true, "raw");
        VmSpec.Disk upper = new VmSpec.Disk(dir.resolve(SnapshotManifest.UPPER), false, "raw");
        vm.set(restoreVm.apply(new VmSpec(name, dir, null, null, List.of(), List.of(root, upper), cpus, memoryMib,
                detached, attachment, List.of(), List.of())));
        try {
            Files.copy(snapshotDir.resolve(SnapshotManifest.READY), dir.resolve(READY_FILE),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the snapshot's " + SnapshotManifest.READY, e);
        }
        AgentTransport channel;
        try {
            // connected while the VM stands paused: QEMU accepts at once, so the guest never sees its port close
            // and reopen (which would cost agentd's reconnect pause)
            channel = AgentTransport.unix(vm.get().agentChannel());
        } catch (IOException e) {
            throw new BootFailedException(BootFailedException.Stage.AGENT_HANDSHAKE, "cannot connect to the restored"
                    + " VM's agent channel: " + e.getMessage(), vm.get().consoleTail(KERNEL_LOG_LINES), e);
        }
        try {
            vm.get().resume();
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        VmHandle restored = vm.get();
        return connect(restored, dir,
                () -> agents.resumeRelay(channel, dir.resolve("agent.sock"), dir.resolve(READY_FILE)));
    }

    /** The new sandbox's hostname, addresses, environment, seed and clock for a guest that ran before; workdir checked. */
    private void takeIdentity(LiveVm live, SandboxSpec spec, ImageConfig config, NetworkAttachment attachment,
            Laps laps) {
        GuestBootstrap identity = bootstrap(spec, config, attachment, List.of());
        GuestIdentity.apply(live.agent(), identity);
        laps.lap("identity");
        trustInterceptCa(live, spec, networks.get());
        checkWorkdir(live.agent(), identity.defaultCwd(), live.vm());
        laps.lap("workdir");
    }

    /**
     * Attaches the sandbox's network with its secrets resolved (store references and server environment variables
     * read now: decision 1316) and a way for the network to stop the sandbox.
     */
    NetworkAttachment attach(NetworkService network, SandboxSpec spec, Path dir) {
        return network.attach(spec.name(), dir, secrets.resolve(spec.network()), terminators.apply(spec.name()));
    }

    /** How a CA file reaches a guest ({@link GuestCa#install(io.msb.api.fs.SandboxFs, String, String)}). */
    interface CaInstaller {
        void install(io.msb.api.fs.SandboxFs fs, String pem, String file);
    }

    /** How CAs reach a guest; tests whose "guests" are host processes replace it. */
    private volatile CaInstaller caInstaller = GuestCa::install;

    void caInstaller(CaInstaller installer) {
        this.caInstaller = installer;
    }

    /**
     * With TLS interception on, the guest trusts the interception CA (decision 1317); with {@code trust_host_cas}, the
     * host's CA certificates too (decision 1320).
     */
    private void trustInterceptCa(LiveVm live, SandboxSpec spec, NetworkService network) {
        if (network == null || !spec.networkEnabled()) {
            return;
        }
        if (spec.network().tlsEnabled()) {
            String pem = network.interceptCaPem().orElseThrow(() -> new UnsupportedFeatureException("network.tls:"
                    + " sandbox " + spec.name() + " intercepts TLS (it has secrets, or network.tls.enabled), but the"
                    + " network service offers no interception CA"));
            caInstaller.install(live.agent().fs(), pem, GuestCa.FILE);
        }
        if (spec.network().trustHostCas()) {
            caInstaller.install(live.agent().fs(), GuestCa.hostBundle(), GuestCa.HOST_FILE);
        }
    }

    private interface Launch {
        /** Starts the VM (handing it to {@code vm} at once, for the cleanup) and returns it connected. */
        LiveVm run(Path dir, NetworkService network, AtomicReference<VmHandle> vm);
    }

    /** What a boot and a restore share: the directory, the network service, and the cleanup of a failure. */
    private LiveVm launch(SandboxSpec spec, Launch launch) {
        Path dir = settings.sandboxDir(spec.name());
        try {
            Files.createDirectories(dir.resolve("logs"));
            Files.deleteIfExists(dir.resolve("logs/boot-error.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
        AtomicReference<VmHandle> started = new AtomicReference<>();
        VmHandle vm = null;
        NetworkService network = null;
        try {
            network = requireNetwork(spec, networks.get());
            return launch.run(dir, network, started);
        } catch (RuntimeException e) {
            vm = started.get();
            if (network != null) {
                detach(network, spec.name(), e);
            }
            if (vm == null && e instanceof MsbException && !(e instanceof BootFailedException)) {
                throw e; // refused before any VM ran (missing image, bad root, no service): reported as it is
            }
            if (vm != null) {
                vm.kill();
            }
            BootFailedException failure = e instanceof BootFailedException b ? b
                    : new BootFailedException(vm == null ? BootFailedException.Stage.PREPARE
                            : BootFailedException.Stage.AGENT_HANDSHAKE, String.valueOf(e.getMessage()),
                            vm == null ? List.of() : vm.consoleTail(KERNEL_LOG_LINES), e);
            recordFailure(dir, failure);
            throw failure;
        }
    }

    /**
     * Connects to a freshly booted VM's agent channel: a relay on {@code agent.sock} and our client of it. The
     * connector keeps the agent's {@code core.ready} in {@code agent.ready} for a runtime that reattaches later.
     */
    LiveVm connect(VmHandle vm, Path dir) {
        return connect(vm, dir,
                () -> agents.relay(vm.agentChannel(), dir.resolve("agent.sock"), dir.resolve(READY_FILE)));
    }

    /**
     * Connects to a VM an earlier runtime started. Its agent already served a connection and may not notice the
     * new one, so the relay resumes with a ping instead of waiting for a ready that may never come.
     */
    LiveVm reconnect(VmHandle vm, Path dir) {
        return connect(vm, dir,
                () -> agents.resumeRelay(vm.agentChannel(), dir.resolve("agent.sock"), dir.resolve(READY_FILE)));
    }

    private interface RelayStart {
        AgentRelay start() throws IOException;
    }

    private LiveVm connect(VmHandle vm, Path dir, RelayStart start) {
        AgentRelay relay = null;
        try {
            relay = start.start();
            return new LiveVm(vm, relay, agents.connectRelay(relay.path()));
        } catch (IOException | RuntimeException e) {
            if (relay != null) {
                relay.close();
            }
            throw new BootFailedException(BootFailedException.Stage.AGENT_HANDSHAKE,
                    "the guest agent did not become ready: " + e.getMessage(), vm.consoleTail(KERNEL_LOG_LINES), e);
        }
    }

    private record Root(VmSpec.Disk disk, ImageConfig config) {
    }

    /** The image's configuration (its default environment, user, workdir) from the local cache. */
    ImageConfig imageConfig(SandboxSpec spec) {
        if (spec.rootfs() instanceof RootfsSource.OciImage oci) {
            ImageService service = require(images.get(), "no ImageService (io.msb.image) is running");
            return service.pull(oci.reference(), spec.pullPolicy(), event -> { }).config();
        }
        return new ImageConfig(null, null, null, null, null, null);
    }

    private Root root(SandboxSpec spec, RootfsBuilder builder) {
        if (spec.rootfs() instanceof RootfsSource.OciImage oci) {
            ImageService service = require(images.get(), "no ImageService (io.msb.image) is running");
            ImageInfo image = service.pull(oci.reference(), spec.pullPolicy(),
                    event -> LOG.log(Level.DEBUG, "{0}: {1}", spec.name(), event));
            return new Root(builder.rootDisk(image), image.config());
        }
        return new Root(builder.rootDisk(spec.rootfs()), new ImageConfig(null, null, null, null, null, null));
    }

    /** The writable disk is made once; later boots keep what the guest wrote. */
    private static VmSpec.Disk upper(Path file, SandboxSpec spec, RootfsBuilder builder, VmSpec.Disk lower) {
        return Files.exists(file) ? new VmSpec.Disk(file, false, "raw") : builder.createUpper(file, spec.diskSizeMib(), lower);
    }

    /** Releases a failed boot's network; a failure to do so is added to the boot's own. */
    private static void detach(NetworkService network, String name, RuntimeException failure) {
        try {
            network.detach(name);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** The spec's settings over the image's defaults, with the guest's side of {@code network} (null: none). */
    static GuestBootstrap bootstrap(SandboxSpec spec, ImageConfig image, NetworkAttachment network) {
        return bootstrap(spec, image, network, List.of());
    }

    /** As {@link #bootstrap(SandboxSpec, ImageConfig, NetworkAttachment)}, with the guest's side of the mounts. */
    static GuestBootstrap bootstrap(SandboxSpec spec, ImageConfig image, NetworkAttachment network,
            List<GuestBootstrap.Mount> mounts) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String entry : image.env()) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        env.putAll(spec.env());
        if (spec.networkEnabled()) {
            // the guest sees each secret's placeholder, never its value (decision 1316)
            spec.network().secrets().entries().forEach(e -> env.put(e.envVar(), e.placeholder()));
            if (spec.network().tlsEnabled()) {
                env.putIfAbsent(NODE_EXTRA_CA_CERTS, GuestCa.FILE); // Node.js keeps its own CA list (decision 1317)
            }
        }
        String user = spec.user() != null ? spec.user() : blankToNull(image.user());
        String cwd = spec.workdir() != null ? spec.workdir() : blankToNull(image.workingDir());
        List<GuestBootstrap.Rlimit> rlimits = spec.rlimits().stream()
                .map(r -> new GuestBootstrap.Rlimit(r.resource(), r.soft(), r.hard())).toList();
        return new GuestBootstrap(spec.hostname(), GuestBootstrap.env(env), user, cwd, rlimits,
                network == null ? null : GuestBootstrap.Network.of(network), GuestBootstrap.HandoffInit.of(spec.init()),
                mounts);
    }

    private static void checkWorkdir(AgentClient agent, String workdir, VmHandle vm) {
        if (workdir == null) {
            return;
        }
        boolean directory;
        try {
            directory = agent.fs().stat(workdir).type() == FileType.DIRECTORY;
        } catch (MsbException e) {
            directory = false;
        }
        if (!directory) {
            throw new BootFailedException(BootFailedException.Stage.WORKDIR,
                    "workdir is not a directory in the guest: " + workdir, vm.consoleTail(KERNEL_LOG_LINES), null);
        }
    }

    /** {@code logs/boot-error.json}: what failed, for the user and for tools, written atomically. */
    private static void recordFailure(Path dir, BootFailedException failure) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("time", Instant.now().toString());
        record.put("stage", failure.stage().name());
        record.put("message", failure.getMessage());
        record.put("kernelLogTail", failure.kernelLogTail());
        try {
            Path tmp = Files.createTempFile(dir.resolve("logs"), "boot-error", ".tmp");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), record);
            Files.move(tmp, dir.resolve("logs/boot-error.json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot record the boot failure in " + dir, e);
        }
    }

    private static <T> T require(T service, String missing) {
        if (service == null) {
            throw new UnsupportedFeatureException(missing);
        }
        return service;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
