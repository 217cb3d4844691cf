package io.msb.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.spi.VmmBackend;
import io.msb.image.internal.ImageRecords;
import io.msb.image.internal.ImageSettings;
import io.msb.image.internal.OciImageService;
import io.msb.protocol.internal.AgentConnectorComponent;
import io.msb.rootfs.internal.ErofsImageBuilder;
import io.msb.rootfs.internal.LocalRootfsBuilder;
import io.msb.runtime.internal.RuntimeSettings;
import io.msb.runtime.internal.SandboxLifecycle;
import io.msb.store.internal.H2Store;
import io.msb.store.internal.JdbcSandboxStore;
import io.msb.vmm.qemu.internal.QemuVmm;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The real platform wired in plain Java, as the OSGi components would be: H2 store, OCI image service (which makes
 * builtin:busybox), EROFS/ext4 root builder, QEMU backend (accel auto: TCG where KVM cannot run a guest), agent
 * connector and the runtime. One per test run (PlatformExtension), in a temporary MSB_HOME whose {@code kernel} directory links to a
 * shared cache, so Debian's kernel is fetched once for every run. Public for bench/vm, which measures the same stack.
 */
public final class Platform implements AutoCloseable {
    static final String IMAGE = "builtin:busybox";

    public final Path home;
    public final JdbcSandboxStore store;
    public final OciImageService images;
    public final LocalRootfsBuilder rootfs;
    public final QemuVmm qemu;
    public final AgentConnectorComponent agents;
    private volatile SandboxLifecycle runtime;

    private Platform(Path home) {
        this.home = home;
        this.store = H2Store.open(home, 8);
        this.images = new OciImageService(ImageRecords.of(store),
                ImageSettings.defaults(home).withCredentials(List.of(), null));
        this.rootfs = new LocalRootfsBuilder(home, 512, "mke2fs", "debugfs", new ErofsImageBuilder());
        this.qemu = new QemuVmm(QemuVmm.Settings.defaults(home));
        this.agents = new AgentConnectorComponent(defaults(AgentConnectorComponent.Config.class));
        this.runtime = runtime(qemu);
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

    public SandboxLifecycle runtime() {
        return runtime;
    }

    /** A runtime over this platform's store and home with the given backend. */
    public SandboxLifecycle runtime(VmmBackend backend) {
        return new SandboxLifecycle(store, new RuntimeSettings(home, 1, 256, "qemu", Duration.ofSeconds(5)),
                () -> List.of(backend), agents, () -> images, () -> rootfs);
    }

    /** As when the host process restarts: the old runtime lets go of its VMs, a new one reads the same store. */
    SandboxLifecycle restartRuntime() {
        runtime.deactivate();
        runtime = runtime(qemu);
        return runtime;
    }

    public SandboxHandle create(String name, boolean detached) {
        return runtime.create(SandboxSpec.builder(name).image(IMAGE).detached(detached).replace(true).build());
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

    /** Closes runtime, image service and store, leaving the home and detached VMs as they are (for another process). */
    public void release() {
        runtime.deactivate();
        images.close();
        store.close();
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** A configuration annotation whose methods return their defaults, as DS gives with no configuration. */
    static <A> A defaults(Class<A> type) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> method.getDefaultValue()));
    }
}
