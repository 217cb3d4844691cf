package io.msb.vmm.qemu.internal;

import java.io.OutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.msb.api.BootFailedException;
import io.msb.api.MsbException;
import io.msb.api.StillRunningException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.spi.VmmCapabilities.Feature;

/**
 * The QEMU backend as plain Java (the OSGi component, {@link QemuVmmComponent}, only adapts configuration to
 * {@link Settings}), so tests and benchmarks use exactly what the platform runs.
 */
public class QemuVmm implements VmmBackend {
    private static final System.Logger LOG = System.getLogger(QemuVmm.class.getName());
    static final String AGENTD_RESOURCE = "io/msb/agentd/agentd";
    static final int MAX_CPUS = 255;
    static final int MIN_MEMORY_MIB = 64;
    static final int MAX_MEMORY_MIB = 1 << 20;
    private static final long STARTUP_MILLIS = 60_000;
    private static final int LOG_TAIL_LINES = 30;

    /**
     * Launches QEMU: {@code sh -c LAUNCHER msb-vm <attached|detached> <console fifo> <kernel log> <cap> qemu…}.
     * <ul>
     * <li>The serial console goes through a FIFO: a reader copies the first {@code cap} bytes to the kernel log
     * and discards the rest, so a chatty guest cannot fill the host's disk (and never blocks on a full pipe). The
     * copy is {@code head -c} with its output unbuffered ({@code stdbuf -o0} where coreutils has it): GNU head writes
     * through stdio, which held the log in 4 KiB blocks until QEMU exited, so a running VM's kernel log read empty.
     * Not dd: with {@code iflag=count_bytes} it stops after cap/bs reads, and a console's reads are short, so it cut
     * the log after 16 lines or so.
     * <li>It prints QEMU's pid, waits for QEMU, then for the reader to drain the FIFO (the runtime reads the log once
     * the launcher is gone, and a guest's last words, "reboot: Power down", come last), and exits with QEMU's status.
     * <li>Attached: stdin is a pipe only this JVM holds the write end of. A background {@code read} loop on it
     * kills QEMU at end-of-file, which the kernel delivers however the JVM ends, SIGKILL included, unless the JVM
     * sent {@code detach} first (a warm-pool VM taken by a detached sandbox).
     * <li>Detached: the same pipe, until this JVM has written {@code vm.properties} and sends {@code detach}: a JVM
     * that dies before (during QEMU's startup) takes the VM with it, so no VM runs that nobody has a record of.
     * <li>First it opens the files QEMU inherits on fixed descriptors ({@code nfd} triples {@code fd r|rw path}): the
     * writable disks and an incoming VM state (decision 1246). A file that cannot be opened ends the launcher before
     * anything runs. QEMU keeps them; the launcher closes its copies once QEMU runs (the console reader keeps its
     * own until it ends with QEMU).
     * </ul>
     * Opening the FIFO read-write at the end releases a reader still waiting for a QEMU that never opened it.
     */
    static final String LAUNCHER = """
            mode=$1 fifo=$2 log=$3 cap=$4 nfd=$5
            shift 5
            fds=
            while [ "$nfd" -gt 0 ]; do
                case $2 in
                r) eval "exec $1<\\"\\$3\\"" ;;
                rw) eval "exec $1<>\\"\\$3\\"" ;;
                *) exit 125 ;;
                esac
                fds="$fds $1"
                shift 3
                nfd=$((nfd - 1))
            done
            rm -f "$fifo" && mkfifo -m 600 "$fifo" || exit 125
            u=; command -v stdbuf >/dev/null && u="stdbuf -o0"
            { $u head -c "$cap" >"$log"; exec cat >/dev/null; } <"$fifo" &
            r=$!
            exec 3<&0 0</dev/null
            "$@" 3<&- >&2 &
            q=$!
            for fd in $fds; do eval "exec $fd<&-"; done
            echo "$q"
            w=
            if [ "$mode" = attached ]; then
                { while read -r l <&3; do [ "$l" = detach ] && exit 0; done; kill -KILL "$q" 2>/dev/null; } &
                w=$!
            else
                { read -r l <&3; [ "$l" = detach ] || kill -KILL "$q" 2>/dev/null; } &
            fi
            exec 3<&-
            wait "$q"
            rc=$?
            [ -n "$w" ] && kill "$w" 2>/dev/null
            : 4<>"$fifo"
            wait "$r"
            rm -f "$fifo"
            exit "$rc"
            """;
    /** The kernel log keeps the first 8 MiB of console output; boot and panic messages fit many times over. */
    static final long KERNEL_LOG_CAP = 8L << 20;


    /**
     * @param qemu QEMU binary (name on PATH or path)
     * @param home {@code $MSB_HOME}: kernel cache, initramfs cache, KVM probe verdicts
     * @param kernel kernel image, or null for Debian's cloud kernel fetched into {@code home/kernel}
     * @param kernelModules {@code lib/modules/<release>} of a configured kernel, or null
     * @param accel auto, kvm or tcg
     * @param agentd the agent binary for default initramfs images, or null to look for the
     *        {@code io/msb/agentd/agentd} class path resource
     * @param runAs the user QEMU switches to when this process runs as root (decision 0811); empty = QEMU stays
     *        root
     * @param guestKernel which kernel of {@code home/kernel} boots when no {@code kernel} is set (decision 1900)
     */
    public record Settings(String qemu, Path home, Path kernel, Path kernelModules, Accel accel, Path agentd,
            String runAs, GuestKernelChoice guestKernel) {
        /** The dedicated user {@code scripts/setup} creates. */
        public static final String DEFAULT_RUN_AS = "msb-qemu";
        private static final java.util.regex.Pattern USER = java.util.regex.Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

        public Settings {
            if (qemu == null || qemu.isBlank()) {
                throw QemuCommand.invalid("qemu", "must name the QEMU binary");
            }
            runAs = runAs == null ? "" : runAs.trim();
            guestKernel = guestKernel == null ? GuestKernelChoice.AUTO : guestKernel;
            if (!runAs.isEmpty() && !USER.matcher(runAs).matches()) {
                throw QemuCommand.invalid("runAs", "must be a user name ([a-z_][a-z0-9_-]*, at most 32 characters)"
                        + " or empty, is '" + runAs + "'");
            }
        }

        /** QEMU drops to {@link #DEFAULT_RUN_AS} when this process is root. */
        public Settings(String qemu, Path home, Path kernel, Path kernelModules, Accel accel, Path agentd) {
            this(qemu, home, kernel, kernelModules, accel, agentd, DEFAULT_RUN_AS);
        }

        /** The guest kernel chosen as {@link GuestKernelChoice#AUTO}. */
        public Settings(String qemu, Path home, Path kernel, Path kernelModules, Accel accel, Path agentd,
                String runAs) {
            this(qemu, home, kernel, kernelModules, accel, agentd, runAs, GuestKernelChoice.AUTO);
        }

        /** Defaults: qemu-system-x86_64 on PATH, Debian cloud kernel, auto acceleration, QEMU as msb-qemu. */
        public static Settings defaults(Path home) {
            return new Settings("qemu-system-x86_64", home, null, null, Accel.AUTO, null);
        }

        public Settings withAccel(String accel) {
            return new Settings(qemu, home, kernel, kernelModules, Accel.parse("accel", accel), agentd, runAs,
                    guestKernel);
        }

        public Settings withAgentd(Path agentd) {
            return new Settings(qemu, home, kernel, kernelModules, accel, agentd, runAs, guestKernel);
        }

        public Settings withRunAs(String runAs) {
            return new Settings(qemu, home, kernel, kernelModules, accel, agentd, runAs, guestKernel);
        }

        public Settings withGuestKernel(String choice) {
            return new Settings(qemu, home, kernel, kernelModules, accel, agentd, runAs,
                    GuestKernelChoice.parse("guestKernel", choice));
        }
    }

    private final Settings settings;
    /** Volatile: {@link #guestKernelRelease()} and {@link #acceleration()} read them without the lock a probe holds. */
    private volatile GuestKernel kernel;
    private volatile Accel resolvedAccel;
    /** Why the probe chose TCG, once it did. */
    private volatile String tcgReason;
    private volatile boolean qemuWorks;
    /** Set once the run-as user was found: a user does not disappear under a running server in practice. */
    private volatile boolean runAsChecked;
    /** The agent's initramfs per network flag and agent binary: building one reads and hashes ~1 MB. */
    private final Map<String, Path> agentInitramfs = new ConcurrentHashMap<>();
    private final Map<Path, KernelFile> kernelFiles = new HashMap<>();

    public QemuVmm(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String name() {
        return "qemu";
    }

    /**
     * QEMU's microvm takes up to 255 vCPUs (the wire type of vcpus is a u8 too); below 64 MiB the guest kernel and
     * its initramfs do not boot; 1 TiB is far beyond any host this runs on. Networking is a {@code stream} netdev.
     */
    @Override
    public VmmCapabilities capabilities() {
        Set<Feature> accel = switch (settings.accel()) {
            case KVM -> Set.of(Feature.KVM);
            case TCG -> Set.of(Feature.TCG);
            case AUTO -> Set.of(Feature.KVM, Feature.TCG); // KVM where the probe finds it usable, else TCG
        };
        Set<Feature> features = new HashSet<>(accel);
        features.add(Feature.NETWORK);
        features.add(Feature.VOLUMES);
        features.add(Feature.SNAPSHOTS);
        return new VmmCapabilities(1, MAX_CPUS, MIN_MEMORY_MIB, MAX_MEMORY_MIB, features);
    }

    @Override
    public boolean available() {
        if (qemuWorks) {
            return true; // asked on every create; one successful run of the binary is enough
        }
        try {
            Process p = new ProcessBuilder(settings.qemu(), "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                qemuWorks = true;
                return true;
            }
            p.destroyForcibly();
            LOG.log(Level.WARNING, "QEMU backend unavailable: {0} --version failed", settings.qemu());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "QEMU backend unavailable: cannot run {0}: {1}", settings.qemu(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** KVM or TCG once known: configured, or after the probe of the first boot. */
    @Override
    public Optional<String> acceleration() {
        Accel a = resolvedAccel != null ? resolvedAccel : settings.accel();
        return a == Accel.AUTO ? Optional.empty() : Optional.of(a.name().toLowerCase(Locale.ROOT));
    }

    /**
     * Configured TCG, the probe's reason once it chose TCG, else what is known without probing: the device, or a
     * verdict cached for this QEMU and the kernel a boot would use.
     */
    @Override
    public Optional<String> accelerationReason() {
        return switch (settings.accel()) {
            case TCG -> Optional.of("accel=tcg is configured in " + QemuVmmComponent.PID);
            case KVM -> Optional.empty();
            case AUTO -> resolvedAccel == Accel.TCG ? Optional.of(tcgReason)
                    : resolvedAccel == Accel.KVM ? Optional.empty()
                    : AccelProbe.knownProblem(AccelProbe.KVM, settings.qemu(), knownKernelImage().orElse(null),
                            probeVerdicts());
        };
    }

    private Path probeVerdicts() {
        return settings.home().resolve("kernel/accel-probe.properties");
    }

    private Optional<Path> knownKernelImage() {
        GuestKernel k = kernel;
        return k != null ? Optional.of(k.image())
                : settings.kernel() != null ? Optional.of(settings.kernel()) : cachedKernelImage();
    }

    /** The image of the kernel cache that guestKernel picks, looked at afresh; fetches and builds nothing. */
    private Optional<Path> cachedKernelImage() {
        if (settings.guestKernel() != GuestKernelChoice.DEBIAN) {
            Optional<Path> msb = KernelLocator.msbBuild(kernelCache()).map(d -> d.resolve(KernelLocator.MSB_IMAGE));
            if (msb.isPresent() || settings.guestKernel() == GuestKernelChoice.MSB) {
                return msb;
            }
        }
        return KernelLocator.cachedImage(kernelCache());
    }

    private Path kernelCache() {
        return settings.home().resolve("kernel");
    }

    /**
     * The configured kernel, else the one the newest fetch in the kernel cache holds (looked at afresh: what a new
     * backend instance boots); the configured agentd, else the embedded one.
     */
    @Override
    public List<BootFile> bootFiles() {
        BootFile kernelFile;
        if (settings.kernel() != null) {
            kernelFile = file("guest kernel", settings.kernel(), "kernel in " + QemuVmmComponent.PID);
        } else {
            Optional<Path> cached = cachedKernelImage();
            boolean msb = cached.map(p -> p.getFileName().toString().equals(KernelLocator.MSB_IMAGE)).orElse(false);
            if (cached.isEmpty() && settings.guestKernel() == GuestKernelChoice.MSB) {
                kernelFile = new BootFile("guest kernel", kernelCache().toString(), BootFile.State.MISSING,
                        "guestKernel is msb and no msb kernel of this version is built: "
                                + GuestKernelChoice.HOW_TO_BUILD);
            } else if (cached.isEmpty()) {
                kernelFile = new BootFile("guest kernel", kernelCache().toString(), BootFile.State.FETCHED_AT_FIRST_BOOT,
                        "the first sandbox fetches Debian's cloud kernel there (native/guest/fetch-kernel.sh)");
            } else {
                kernelFile = file("guest kernel", cached.get(), msb
                        ? "remove " + cached.get().getParent() + " and " + GuestKernelChoice.HOW_TO_BUILD
                        : "remove " + cached.get().getParent().getParent() + " to have it fetched again");
                if (kernelFile.state() == BootFile.State.PRESENT) {
                    kernelFile = new BootFile(kernelFile.what(), kernelFile.location(), kernelFile.state(),
                            (msb ? "msb's own kernel" : "Debian's cloud kernel")
                                    + GuestKernel.release(cached.get()).map(r -> " " + r).orElse(""));
                }
            }
        }
        BootFile agentdFile;
        if (settings.agentd() != null) {
            agentdFile = file("agentd", settings.agentd(), "agentd in " + QemuVmmComponent.PID);
        } else if (QemuVmm.class.getClassLoader().getResource(AGENTD_RESOURCE) == null) {
            agentdFile = new BootFile("agentd", "resource " + AGENTD_RESOURCE + " of io.msb.vmm.qemu",
                    BootFile.State.MISSING, "build native/agentd, or configure agentd in " + QemuVmmComponent.PID);
        } else {
            agentdFile = new BootFile("agentd", "embedded in the qemu backend (" + AGENTD_RESOURCE + ")",
                    BootFile.State.PRESENT, "");
        }
        return List.of(kernelFile, agentdFile);
    }

    private static BootFile file(String what, Path path, String remedy) {
        boolean there = Files.isRegularFile(path) && Files.isReadable(path);
        return new BootFile(what, path.toAbsolutePath().toString(), there ? BootFile.State.PRESENT
                : BootFile.State.MISSING, there ? "" : remedy);
    }

    /**
     * From the kernel image's header: the located kernel, else the configured one, else the one of the kernel cache
     * guestKernel picks ({@code 6.1.192-msb} for msb's own, decision 1900).
     */
    @Override
    public Optional<String> guestKernelRelease() {
        return knownKernelImage().flatMap(GuestKernel::release);
    }

    /** The guest kernel: configured, else guestKernel's pick (Debian's fetched on first use; msb's never built here). */
    public synchronized Path kernelImage() {
        return guestKernel().image();
    }

    synchronized GuestKernel guestKernel() {
        if (kernel == null) {
            kernel = settings.kernel() != null
                    ? KernelLocator.configured(settings.kernel(), settings.kernelModules())
                    : settings.guestKernel().locate(kernelCache());
        }
        return kernel;
    }

    /** An initramfs with {@code init} as /init plus the kernel's guest modules (cached by content hash). */
    public Path initramfs(byte[] init) {
        return initramfs(init, false);
    }

    /** @param network whether the VM has a network device, whose driver is then carried too */
    public Path initramfs(byte[] init, boolean network) {
        return initramfs(init, network, false);
    }

    /**
     * @param shares whether the VM has shares: the initramfs then carries the 9p modules, which agentd loads before
     *        its first 9p mount (decision 1202)
     */
    public Path initramfs(byte[] init, boolean network, boolean shares) {
        GuestKernel k = guestKernel();
        List<String> wanted = new ArrayList<>(Initramfs.GUEST_MODULES);
        if (network) {
            wanted.addAll(Initramfs.NETWORK_MODULES);
        }
        List<String> onDemand = shares ? shareModules(k) : List.of();
        return Initramfs.build(init, k.modulesDir(), wanted, onDemand, settings.home().resolve("cache/initramfs"));
    }

    /** The 9p modules, or a refusal that says where they come from when this kernel has none. */
    private static List<String> shareModules(GuestKernel k) {
        if (k.modulesDir() == null) {
            return List.of(); // a configured kernel without modules: 9p must be built in, or the guest's mount says so
        }
        KernelModules modules = KernelModules.open(k.modulesDir());
        for (String m : Initramfs.SHARE_MODULES) {
            if (!modules.has(m) && !modules.isBuiltin(m)) {
                throw new UnsupportedFeatureException("mounts: bind mounts and directory volumes need the guest"
                        + " kernel's 9p modules, and " + k.modulesDir() + " has no " + m + " (neither in kernel/ nor"
                        + " in " + KernelModules.EXTRA + "/): native/guest/fetch-kernel.sh builds them for Debian's cloud"
                        + " kernel when gcc, make and apt-get are available (scripts/setup runs it; decision 1201)");
            }
        }
        return Initramfs.SHARE_MODULES;
    }

    /** KVM or TCG, probed once per backend instance when configured as auto. */
    public synchronized Accel accel() {
        if (resolvedAccel == null) {
            resolvedAccel = settings.accel();
            if (resolvedAccel == Accel.AUTO) {
                StringBuilder why = new StringBuilder();
                boolean kvm = AccelProbe.kvmUsable(settings.qemu(), kernelImage(),
                        probeVerdicts(), why);
                resolvedAccel = kvm ? Accel.KVM : Accel.TCG;
                if (!kvm) {
                    tcgReason = why.toString();
                    LOG.log(Level.WARNING, "KVM is not usable here ({0}); VMs run under TCG emulation, which is "
                            + "much slower. Set accel=tcg in io.msb.vmm.qemu to skip the probe.", why);
                }
            }
        }
        return resolvedAccel;
    }

    @Override
    public VmHandle start(VmSpec spec) {
        return launchVm(spec, null);
    }

    /**
     * QEMU with {@code -incoming fd:5} on the saved state (decision 1245): it loads the state, then stands paused,
     * as the saved VM stood.
     */
    @Override
    public VmHandle restore(VmSpec spec, Path stateFile) {
        if (stateFile == null || !Files.isRegularFile(stateFile)) {
            throw QemuCommand.invalid("stateFile", "is not a regular file: " + stateFile);
        }
        return launchVm(spec, stateFile);
    }

    private VmHandle launchVm(VmSpec spec, Path incoming) {
        QemuCommand.validate(spec);
        QemuCommand.Paths paths = QemuCommand.Paths.of(spec.stateDir());
        try {
            return launch(spec, paths, prepare(spec, paths, incoming != null), QemuCommand.inherited(spec, incoming),
                    incoming != null);
        } finally {
            // QEMU has copied it into guest memory once it runs (or it failed): no secret stays on disk.
            try {
                Files.deleteIfExists(paths.initramfs());
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot remove {0}: {1}", paths.initramfs(), e.getMessage());
            }
        }
    }

    /** A kernel image as of its size and modification time, and the file {@code -kernel} names for it. */
    private record KernelFile(long size, long modified, Path file) {
    }

    /**
     * The file QEMU boots for a kernel image: its vmlinux through PVH when it has that entry point (decision 1933),
     * extracted once per image content; remembered per path while the image stays as it was.
     */
    private Path kernelFile(Path image) throws IOException {
        long size = Files.size(image);
        long modified = Files.getLastModifiedTime(image).toMillis();
        synchronized (kernelFiles) { // concurrent first creates extract once
            KernelFile known = kernelFiles.get(image);
            if (known != null && known.size() == size && known.modified() == modified
                    && Files.exists(known.file())) {
                return known.file();
            }
            Path file = PvhKernel.bootFile(image, settings.home().resolve("cache/vmlinux"));
            kernelFiles.put(image, new KernelFile(size, modified, file));
            return file;
        }
    }

    /** Everything before QEMU runs; returns its command line. */
    private List<String> prepare(VmSpec spec, QemuCommand.Paths paths, boolean incoming) {
        try {
            Path kernelPath = kernelFile(spec.kernel() != null ? spec.kernel() : kernelImage());
            Path initrd = spec.initramfs() != null ? spec.initramfs() : agentInitramfs(spec.network() != null,
                    !spec.shares().isEmpty());
            Accel accel = accel();
            String runAs = runAs();
            warnUnwritableShares(spec, runAs);
            Files.createDirectories(paths.kernelLog().getParent());
            Optional<VmState> previous = VmState.read(paths.stateFile());
            if (previous.isPresent() && ProcStat.isAlive(previous.get().pid(), previous.get().startTime())) {
                throw new StillRunningException(spec.sandboxName());
            }
            // The kernel log goes too: a failed start must not report the previous boot's lines.
            for (Path stale : List.of(paths.vmSocket(), paths.qmpSocket(), paths.stateFile(), paths.kernelLog(),
                    paths.initramfs())) {
                Files.deleteIfExists(stale);
            }
            byte[] bootstrap = BootstrapArchive.find(spec.kernelArgs());
            if (bootstrap != null) {
                BootstrapArchive.write(initrd, bootstrap, paths.initramfs());
                initrd = paths.initramfs();
            }
            return QemuCommand.build(settings.qemu(), spec, kernelPath, initrd, accel,
                    accel == Accel.TCG ? HostTsc.kernelArgs() : List.of(), runAs, incoming);
        } catch (IOException | RuntimeException e) {
            if (e instanceof StillRunningException s) {
                throw s;
            }
            throw new BootFailedException(BootFailedException.Stage.PREPARE, e.getMessage(), List.of(), e);
        }
    }

    /**
     * QEMU serves a share as the user it runs as (decision 1201): a read-write share that user cannot write gives the
     * guest EACCES on every write. Said once per boot in the log; group and ACL rights are not looked at, so it is a
     * warning, not a refusal.
     */
    private static void warnUnwritableShares(VmSpec spec, String runAs) throws IOException {
        if (runAs == null) {
            return;
        }
        for (VmSpec.Share share : spec.shares()) {
            if (share.readOnly() || !Files.isDirectory(share.path())) {
                continue;
            }
            Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(share.path());
            boolean owner = Files.getOwner(share.path()).getName().equals(runAs);
            if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE)
                    && !(owner && perms.contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE))) {
                LOG.log(Level.WARNING, "{0}: {1} is shared read-write, but QEMU runs as {2}, who may not write there:"
                        + " the guest gets EACCES on writes unless {2} may (chown/chmod/setfacl it, or mount it :ro)",
                        spec.sandboxName(), share.path(), runAs);
            }
        }
    }

    /**
     * The user QEMU switches to, or null to keep this process's: only a root server drops (decision 0811), and
     * then to a user that exists, or the start fails rather than run QEMU as root unasked.
     */
    private String runAs() throws IOException {
        if (settings.runAs().isEmpty() || !isRoot()) {
            return null;
        }
        if (!runAsChecked) {
            Process p = new ProcessBuilder("getent", "passwd", settings.runAs()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw QemuCommand.invalid("runAs", "names user '" + settings.runAs() + "', which does not exist:"
                            + " create it (scripts/setup does: useradd --system --user-group --no-create-home"
                            + " --shell /usr/sbin/nologin " + settings.runAs() + "), or set runAs empty in "
                            + QemuVmmComponent.PID + " to run QEMU as root");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while looking up user " + settings.runAs());
            }
            runAsChecked = true;
        }
        return settings.runAs();
    }

    /** The user QEMU runs as when it is not this process's, without checking that it exists. */
    private String runAsOrNull() {
        try {
            return settings.runAs().isEmpty() || !isRoot() ? null : settings.runAs();
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isRoot() throws IOException {
        // /proc/self belongs to the process's effective uid.
        return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    }

    private VmHandle launch(VmSpec spec, QemuCommand.Paths paths, List<String> argv,
            List<QemuCommand.Inherited> files, boolean incoming) {
        Process proc = null;
        QemuVmHandle handle = null;
        try {
            // setsid: QEMU gets its own session and process group, so terminal signals aimed at the
            // caller's group (Ctrl-C) do not reach it.
            List<String> cmd = new ArrayList<>(List.of("setsid", "sh", "-c", LAUNCHER, "msb-vm",
                    spec.detached() ? "detached" : "attached", paths.consoleFifo().toString(),
                    paths.kernelLog().toString(), Long.toString(KERNEL_LOG_CAP), Integer.toString(files.size())));
            for (QemuCommand.Inherited f : files) {
                cmd.addAll(List.of(Integer.toString(f.fd()), f.writable() ? "rw" : "r", f.path().toString()));
            }
            cmd.addAll(argv);
            proc = new ProcessBuilder(cmd).redirectError(paths.qemuLog().toFile()).start();
            long pid = readPid(proc.getInputStream());
            long startTime = ProcStat.read(pid).map(ProcStat::startTime)
                    .orElseThrow(() -> new IOException("QEMU exited at once"));
            handle = new QemuVmHandle(pid, startTime, proc, paths, runAsOrNull());
            awaitRunning(proc, paths, incoming);
            new VmState(spec.sandboxName(), pid, startTime, false).write(paths.stateFile());
            if (spec.detached()) {
                handle.detach(); // recorded: from now on the VM outlives this JVM (decision 0812)
            }
            return handle;
        } catch (IOException | RuntimeException e) {
            List<String> qemuErr = LogTail.lastLines(paths.qemuLog(), 5);
            if (handle != null) {
                handle.kill();
            }
            if (proc != null) {
                closeQuietly(proc.getOutputStream()); // a detached launcher's watcher ends (and kills what runs)
                try {
                    // With QEMU gone the launcher cleans up and exits by itself; force it only if it hangs.
                    if (!proc.waitFor(30, TimeUnit.SECONDS)) {
                        proc.destroyForcibly();
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    proc.destroyForcibly();
                }
            }
            for (Path p : List.of(paths.vmSocket(), paths.qmpSocket(), paths.stateFile())) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Replaced on the next start anyway.
                }
            }
            String why = e.getMessage() + (qemuErr.isEmpty() ? "" : ": " + String.join(" | ", qemuErr));
            throw new BootFailedException(BootFailedException.Stage.VMM_START, why,
                    LogTail.lastLines(paths.kernelLog(), LOG_TAIL_LINES), e);
        }
    }

    /**
     * Waits until QEMU's monitor reports a running machine. The listening sockets appear early, before the
     * kernel is even loaded; only the monitor's answer proves that QEMU got through its startup.
     */
    private static void awaitRunning(Process proc, QemuCommand.Paths paths, boolean incoming) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STARTUP_MILLIS);
        while (!(Files.exists(paths.vmSocket()) && Files.exists(paths.qmpSocket()))) {
            if (!proc.isAlive()) {
                throw new IOException("QEMU exited with status " + proc.exitValue() + " during startup");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QEMU did not create its sockets within " + STARTUP_MILLIS + " ms");
            }
            sleep(5);
        }
        String status;
        try (Qmp qmp = Qmp.connect(paths.qmpSocket(), deadline, proc::isAlive)) {
            status = qmp.handshakeAndStatus();
            while (incoming && status.equals("inmigrate")) { // loading the saved state
                sleep(2);
                status = qmp.status();
            }
        } catch (IOException e) {
            if (!proc.isAlive() || waitBriefly(proc)) {
                throw new IOException("QEMU exited with status " + proc.exitValue() + " during startup", e);
            }
            throw e;
        }
        String expected = incoming ? "paused" : "running";
        if (!status.equals(expected)) {
            throw new IOException("QEMU reports the VM as " + status + ", not " + expected);
        }
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException ignored) {
            // the launcher is gone already
        }
    }

    /** After its monitor closed, QEMU is usually just about to exit: give it a moment to report its status. */
    private static boolean waitBriefly(Process proc) {
        try {
            return proc.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for QEMU");
        }
    }

    /** The wrapper's first output line: QEMU's pid (at most a few digits; anything else is an error). */
    private static long readPid(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (sb.length() > 20) {
                throw new IOException("the VM wrapper printed no pid");
            }
            sb.append((char) c);
        }
        try {
            return Long.parseLong(sb.toString().trim());
        } catch (NumberFormatException e) {
            throw new IOException("the VM wrapper printed no pid: '" + sb + "'");
        }
    }

    private Path agentInitramfs(boolean network, boolean shares) throws IOException {
        String key = network + "|" + shares + "|" + (settings.agentd() == null ? "embedded" : settings.agentd() + "|"
                + Files.size(settings.agentd()) + "|" + Files.getLastModifiedTime(settings.agentd()).toMillis());
        Path cached = agentInitramfs.get(key);
        if (cached == null || !Files.isRegularFile(cached)) {
            cached = initramfs(agentd(), network, shares);
            agentInitramfs.put(key, cached);
        }
        return cached;
    }

    private byte[] agentd() throws IOException {
        if (settings.agentd() != null) {
            return Files.readAllBytes(settings.agentd());
        }
        try (InputStream in = QemuVmm.class.getClassLoader().getResourceAsStream(AGENTD_RESOURCE)) {
            if (in == null) {
                throw new MsbException("no agent binary: configure agentd in io.msb.vmm.qemu or put io.msb:agentd"
                        + " (resource " + AGENTD_RESOURCE + ") on the class path");
            }
            return in.readAllBytes();
        }
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return find(sandboxName, stateDir).filter(vm -> vm.pid() == pid);
    }

    /** The VM that {@code vm.properties} names, if that pid still runs with the start time recorded. */
    @Override
    public Optional<VmHandle> find(String sandboxName, Path stateDir) {
        QemuCommand.Paths paths = QemuCommand.Paths.of(stateDir);
        return VmState.read(paths.stateFile())
                .filter(s -> s.sandboxName().equals(sandboxName))
                .filter(s -> ProcStat.isAlive(s.pid(), s.startTime()))
                .map(s -> new QemuVmHandle(s.pid(), s.startTime(), null, paths, runAsOrNull()));
    }

}
