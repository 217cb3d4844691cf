package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.msb.api.BootFailedException;
import io.msb.api.StillRunningException;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.spi.VmmCapabilities.Feature;

/**
 * The libkrun backend as plain Java, written against {@code io.msb.api} and its SPI alone (the worked example of
 * docs/backend-spi.md). libkrun runs a VM in the process that calls {@code krun_start_enter} and never returns, so
 * each VM is a krun-launcher process (decision 1740); this class spawns it, records it and finds it again.
 */
public class LibkrunVmm implements VmmBackend {
    /** libkrun takes the vCPU count as a u8. */
    static final int MAX_CPUS = 255;
    static final int MIN_MEMORY_MIB = 64;
    static final int MAX_MEMORY_MIB = 1 << 20;
    static final String LAUNCHER_RESOURCE = "io/msb/krun/krun-launcher";
    static final String AGENTD_RESOURCE = "io/msb/agentd/agentd";
    /** The launcher prints {@code started <pid>} once everything but the VM itself is set up. */
    private static final long STARTUP_SECONDS = 60;
    private static final int LOG_TAIL_LINES = 30;

    /**
     * @param launcher krun-launcher, or null for the one this bundle carries
     * @param libkrun what the launcher dlopens (soname or path)
     * @param kernel the guest kernel, or null: then only specs naming a kernel boot
     * @param kernelFormat libkrun's name of its format (elf, raw, pe-gz, image-bz2, image-gz, image-zstd)
     * @param agentd the agent for {@code /init}, or null for the one this bundle carries
     * @param home {@code $MSB_HOME}: the extracted launcher and agent live in its cache
     * @param logLevel libkrun's log level, 0 to 5
     * @param launcherEnvironment added to the launcher's environment; tests only
     *        ({@code MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK}, decision 1742), empty in the platform
     */
    public record Settings(Path launcher, String libkrun, Path kernel, String kernelFormat, Path agentd, Path home,
            int logLevel, Map<String, String> launcherEnvironment) {
        public Settings {
            if (libkrun == null || libkrun.isBlank()) {
                throw LaunchCommand.invalid("libkrun", "must name the library (libkrun.so.1 or a path)");
            }
            if (!LaunchCommand.KERNEL_FORMATS.contains(kernelFormat)) {
                throw LaunchCommand.invalid("kernelFormat", "must be one of " + LaunchCommand.KERNEL_FORMATS
                        + ", is '" + kernelFormat + "'");
            }
            if (logLevel < 0 || logLevel > 5) {
                throw LaunchCommand.invalid("logLevel", "must be from 0 to 5, is " + logLevel);
            }
            launcherEnvironment = Map.copyOf(launcherEnvironment);
        }
    }

    /** One configuration and the probe of its launcher and library, swapped together by {@link #configure}. */
    private record Configured(Settings settings, HostProbe probe) {
    }

    private volatile Configured configured;

    public LibkrunVmm(Settings settings) {
        configure(settings);
    }

    /**
     * Takes a new configuration; each call to this backend uses one configuration throughout, and running VMs keep
     * the one they started with (they are separate processes).
     */
    final void configure(Settings settings) {
        configured = new Configured(settings, new HostProbe(() -> launcher(settings), settings.libkrun(),
                settings.launcherEnvironment()));
    }

    @Override
    public String name() {
        return "libkrun";
    }

    @Override
    public boolean available() {
        return unavailableReason().isEmpty();
    }

    /** libkrun and KVM as the launcher's cached probe finds them, then a kernel to boot. */
    @Override
    public Optional<String> unavailableReason() {
        return unavailableReason(configured);
    }

    private static Optional<String> unavailableReason(Configured c) {
        Settings settings = c.settings();
        Optional<String> host = c.probe().unavailableReason();
        if (host.isPresent()) {
            return host;
        }
        if (settings.kernel() == null) {
            return Optional.of("no guest kernel: set kernel in " + LibkrunVmmComponent.PID);
        }
        if (!Files.isRegularFile(settings.kernel())) {
            return Optional.of("guest kernel " + settings.kernel() + " is not a regular file");
        }
        return Optional.empty();
    }

    /** KVM only (libkrun has no emulation); no network, volumes or snapshots (decision 1744). */
    @Override
    public VmmCapabilities capabilities() {
        return new VmmCapabilities(1, MAX_CPUS, MIN_MEMORY_MIB, MAX_MEMORY_MIB, Set.of(Feature.KVM));
    }

    @Override
    public Optional<String> acceleration() {
        return Optional.of("kvm");
    }

    private static Path launcher(Settings settings) {
        return settings.launcher() != null ? settings.launcher()
                : BundledFile.extract(LAUNCHER_RESOURCE, settings.home().resolve("cache/libkrun"));
    }

    private static Path agentd(Settings settings) {
        return settings.agentd() != null ? settings.agentd()
                : BundledFile.extract(AGENTD_RESOURCE, settings.home().resolve("cache/libkrun"));
    }

    @Override
    public VmHandle start(VmSpec spec) {
        LaunchCommand.validate(spec);
        VmFiles files = VmFiles.of(spec.stateDir());
        Configured c = configured;
        List<String> argv;
        try {
            argv = prepare(spec, files, c);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(files.bootstrap());
            if (e instanceof StillRunningException s) {
                throw s;
            }
            throw new BootFailedException(BootFailedException.Stage.PREPARE, e.getMessage(), List.of(), e);
        }
        try {
            return launch(spec, files, argv, c.settings().launcherEnvironment());
        } finally {
            deleteQuietly(files.bootstrap()); // the launcher deletes it once read; this covers a launcher that failed
        }
    }

    /** Everything before the launcher runs; returns its command line. */
    private static List<String> prepare(VmSpec spec, VmFiles files, Configured c) throws IOException {
        Settings settings = c.settings();
        Optional<String> why = unavailableReason(c);
        if (spec.kernel() != null && why.filter(w -> w.startsWith("no guest kernel")).isPresent()) {
            why = Optional.empty(); // the spec brings its own kernel
        }
        if (why.isPresent()) {
            throw new IllegalStateException("the libkrun backend is unavailable: " + why.get());
        }
        Optional<VmRecord> previous = VmRecord.read(files.record());
        if (previous.isPresent() && ProcessIdentity.alive(previous.get().pid(), previous.get().startTime())) {
            throw new StillRunningException(spec.sandboxName());
        }
        Files.createDirectories(files.consoleLog().getParent());
        for (Path stale : List.of(files.agentSocket(), files.record(), files.consoleLog(), files.bootstrap())) {
            Files.deleteIfExists(stale);
        }
        byte[] bootstrap = LaunchCommand.bootstrap(spec.kernelArgs());
        if (bootstrap != null) {
            writePrivate(files.bootstrap(), bootstrap);
        }
        LaunchCommand.Host host = new LaunchCommand.Host(settings.libkrun(), settings.kernel(),
                settings.kernelFormat(), spec.initramfs() == null ? agentd(settings) : null, settings.logLevel());
        return LaunchCommand.build(launcher(settings), host, spec, bootstrap != null);
    }

    /** The bootstrap holds the sandbox's secrets: a new file only its owner reads, never through a planted link. */
    private static void writePrivate(Path file, byte[] bytes) throws IOException {
        try (var out = Channels.newOutputStream(Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))))) {
            out.write(bytes);
        }
    }

    private static VmHandle launch(VmSpec spec, VmFiles files, List<String> argv, Map<String, String> environment) {
        Process proc = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectError(files.launcherLog().toFile());
            pb.environment().putAll(environment);
            proc = pb.start();
            String line = firstLineWithin(proc);
            if (!line.equals("started " + proc.pid())) {
                throw new IOException(proc.waitFor(5, TimeUnit.SECONDS)
                        ? "krun-launcher exited with status " + proc.exitValue() + " during startup"
                        : "krun-launcher printed '" + line + "' instead of 'started " + proc.pid() + "'");
            }
            OptionalLong startTime = ProcessIdentity.startTime(proc.pid());
            if (startTime.isEmpty()) {
                throw new IOException("krun-launcher exited at once");
            }
            VmRecord identity = new VmRecord(spec.sandboxName(), proc.pid(), startTime.getAsLong());
            LibkrunVmHandle handle = new LibkrunVmHandle(identity, proc, files);
            identity.write(files.record());
            if (spec.detached()) {
                handle.detach(); // recorded: from now on the VM outlives this JVM
            }
            return handle;
        } catch (IOException | RuntimeException e) {
            if (proc != null) {
                proc.destroyForcibly();
                try {
                    proc.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
            deleteQuietly(files.record());
            deleteQuietly(files.agentSocket());
            List<String> launcherLog = LogLines.tail(files.launcherLog(), 5);
            String why = e.getMessage() + (launcherLog.isEmpty() ? "" : ": " + String.join(" | ", launcherLog));
            throw new BootFailedException(BootFailedException.Stage.VMM_START, why,
                    LogLines.tail(files.consoleLog(), LOG_TAIL_LINES), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            proc.destroyForcibly();
            throw new BootFailedException(BootFailedException.Stage.VMM_START, "interrupted", List.of(), e);
        }
    }

    /**
     * The launcher's first line, or an error once {@link #STARTUP_SECONDS} passed without it: a launcher stuck in its
     * setup (a hanging file system, a hanging libkrun) is killed, which ends the read.
     */
    private static String firstLineWithin(Process proc) throws IOException {
        CountDownLatch answered = new CountDownLatch(1);
        AtomicBoolean late = new AtomicBoolean();
        DaemonThreads.start("libkrun-start-" + proc.pid(), () -> {
            try {
                if (!answered.await(STARTUP_SECONDS, TimeUnit.SECONDS)) {
                    late.set(true);
                    proc.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            String line = firstLine(proc.getInputStream());
            if (late.get()) {
                throw new IOException("krun-launcher did not start the VM within " + STARTUP_SECONDS + " s");
            }
            return line;
        } finally {
            answered.countDown();
        }
    }

    /** The launcher's first line, at most 64 bytes. */
    private static String firstLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (sb.length() >= 64) {
                throw new IOException("krun-launcher printed a first line longer than 64 bytes");
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // replaced or refused on the next start
        }
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return find(sandboxName, stateDir).filter(vm -> vm.pid() == pid);
    }

    /** The VM {@code vm.properties} names, if that pid still runs with the recorded start time. */
    @Override
    public Optional<VmHandle> find(String sandboxName, Path stateDir) {
        VmFiles files = VmFiles.of(stateDir);
        return VmRecord.read(files.record())
                .filter(r -> r.sandboxName().equals(sandboxName))
                .filter(r -> ProcessIdentity.alive(r.pid(), r.startTime()))
                .map(r -> new LibkrunVmHandle(r, null, files));
    }
}
