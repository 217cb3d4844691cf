package io.msb.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.image.ImageService;
import io.msb.api.volume.VolumeService;
import io.msb.api.spi.NetworkService;
import io.msb.api.spi.RootfsBuilder;
import io.msb.api.spi.VmmBackend;
import io.msb.testing.EmbeddedMsb;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The real platform: the msb bundles started in an embedded Felix (EmbeddedMsb, decision 0902) and used through
 * their services, as users do - H2 store, OCI image service (which makes builtin:busybox), EROFS/ext4 root builder,
 * QEMU backend (accel auto: TCG where KVM cannot run a guest), agent connector and the runtime. One per test run
 * (PlatformExtension), in a temporary MSB_HOME whose {@code kernel} directory links to a shared cache, so Debian's
 * kernel is fetched once for every run. Public for bench/vm, which measures the same stack.
 */
public final class Platform implements AutoCloseable {
    static final String IMAGE = "builtin:busybox";
    static final String QEMU_PID = "io.msb.vmm.qemu";

    static final String SSH_PID = "io.msb.ssh";
    /**
     * The core bundles, then BouncyCastle (ed25519 keys), MINA SSHD and the SSH endpoint (SshIT), which idles until a
     * client connects.
     */
    private static final List<String> BUNDLES = Stream.concat(EmbeddedMsb.CORE_BUNDLES.stream(),
            Stream.of("bcprov", "bcutil", "bcpkix", "org.apache.sshd.osgi", "org.apache.sshd.sftp", "org.apache.sshd.scp", "io.msb.ssh")).toList();

    public final Path home;
    /** The SSH endpoint's port on 127.0.0.1 (a free one when the platform started). */
    public final int sshPort;
    private final EmbeddedMsb msb;

    private Platform(Path home) {
        this.home = home;
        this.sshPort = freePort();
        this.msb = EmbeddedMsb.builder(home)
                .bundles(BUNDLES.toArray(String[]::new))
                .configure(SSH_PID, Map.of("home", home.toString(), "port", sshPort))
                .configure("io.msb.image", Map.of("useDockerConfig", false)) // never the user's registry logins
                .configure("io.msb.rootfs", Map.of("defaultUpperSizeMib", 512))
                .configure("io.msb.runtime", Map.of("defaultMemoryMib", 256, "stopGraceSeconds", 5))
                .start();
        runtime(); // the runtime has recovered the home once its service is there
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Skips the calling test when a host tool the platform needs is missing. */
    static void requireHostTools() {
        for (String tool : List.of("qemu-system-x86_64", "mke2fs", "debugfs", "apt-get", "dpkg-deb")) {
            assumeTrue(onPath(tool), "end-to-end tests need " + tool + " on PATH");
        }
        assumeTrue(Platform.class.getClassLoader().getResource("io/msb/agentd/agentd") != null,
                "end-to-end tests need the agentd binary (io.msb:agentd, built by native/agentd)");
    }

    /** The shared kernel cache: {@code -Dmsb.e2e.kernelCache}, else {@code ~/.msb/kernel}. */
    static Path kernelCache() {
        return Path.of(System.getProperty("msb.e2e.kernelCache", System.getProperty("user.home") + "/.msb/kernel"));
    }

    /** A platform in a new temporary home whose kernel cache is {@code kernels}; close() removes it all. */
    public static Platform open(Path kernels) {
        try {
            Path home = Files.createTempDirectory("msb-e2e-"); // short: unix socket paths are limited to 108 bytes
            Files.createDirectories(kernels);
            Files.createSymbolicLink(home.resolve("kernel"), kernels);
            return new Platform(home);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A platform over an existing home (its {@code kernel} link made by {@link #open}), as a restarted host process
     * opens it: the runtime recovers whatever an earlier process left there. {@link #release()} lets go of it.
     */
    public static Platform on(Path home) {
        return new Platform(home);
    }

    /** The runtime's SandboxService (after {@link #restartRuntime} a new one). */
    public SandboxService runtime() {
        return msb.service(SandboxService.class);
    }

    public ImageService images() {
        return msb.service(ImageService.class);
    }

    /** The named-volume service (io.msb.volume). */
    public VolumeService volumes() {
        return msb.service(VolumeService.class);
    }

    /** The disk-snapshot service (io.msb.runtime). */
    public io.msb.api.snapshot.SnapshotService snapshots() {
        return msb.service(io.msb.api.snapshot.SnapshotService.class);
    }

    public RootfsBuilder rootfs() {
        return msb.service(RootfsBuilder.class);
    }

    /** Whether a network service runs (io.msb.network): networked sandboxes need it. */
    boolean networked() {
        return msb.context().getServiceReference(NetworkService.class) != null;
    }

    /** The network service (io.msb.network) the runtime uses, with its default configuration. */
    NetworkService network() {
        return msb.service(NetworkService.class);
    }

    /** The QEMU backend's service, as the runtime sees it. */
    public VmmBackend qemu() {
        return msb.service(VmmBackend.class, "(name=qemu)");
    }

    /** The accelerator and kernel on a VM's QEMU command line (for the benches' headers). */
    public static String qemuArgs(long pid) throws IOException {
        List<String> args = List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
        return "-accel " + args.get(args.indexOf("-accel") + 1) + " -kernel " + args.get(args.indexOf("-kernel") + 1);
    }

    /** Where the image bundle caches a blob ({@code $MSB_HOME/cache/blobs/sha256/<hex>}, the on-disk layout). */
    Path blob(String digest) {
        return home.resolve("cache/blobs/sha256").resolve(digest.substring(digest.indexOf(':') + 1));
    }

    /** As when the host process restarts: the old runtime lets go of its VMs, a new one reads the same store. */
    SandboxService restartRuntime() {
        msb.restart("io.msb.runtime");
        return runtime();
    }

    /**
     * Runs {@code body} while the QEMU backend has {@code configuration} (e.g. a kernel that cannot boot), then gives
     * it back its usual one. The runtime follows the backend's service, as in a server whose configuration changes.
     */
    public void withQemu(Map<String, ?> configuration, Runnable body) {
        msb.configure(QEMU_PID, configuration);
        try {
            body.run();
        } finally {
            msb.configure(QEMU_PID, Map.of());
        }
    }

    /** Configures warm pool {@code name} (factory io.msb.runtime.pool), as a Karaf {@code .cfg} file would. */
    public void configurePool(String name, Map<String, ?> configuration) {
        msb.configureFactory("io.msb.runtime.pool", name, configuration);
    }

    public void deletePool(String name) {
        msb.deleteFactory("io.msb.runtime.pool", name);
    }

    public SandboxHandle create(String name, boolean detached) {
        return runtime().create(SandboxSpec.builder(name).image(IMAGE).detached(detached).replace(true).build());
    }

    static ExecResult sh(SandboxHandle sandbox, String script) {
        return sandbox.exec(ExecOptions.of("/bin/sh", "-c", script).build());
    }

    /** Waits for a condition the system reaches on its own (a crash noticed, output arrived); bounded, not timed. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("gave up waiting for " + what);
    }

    @Override
    public void close() {
        try {
            SandboxService runtime = runtime();
            for (var info : runtime.list(LabelSelector.ALL)) {
                try {
                    runtime.remove(info.name(), true);
                } catch (RuntimeException e) {
                    System.err.println("e2e cleanup: cannot remove " + info.name() + ": " + e.getMessage());
                }
            }
            release();
            Files.delete(home.resolve("kernel")); // the link only: the shared kernel cache stays
            try (var walk = Files.walk(home)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("e2e cleanup of " + home + " failed: " + e);
        }
    }

    /** Stops the platform, leaving the home and detached VMs as they are (for another process). */
    public void release() {
        msb.close();
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }
}
