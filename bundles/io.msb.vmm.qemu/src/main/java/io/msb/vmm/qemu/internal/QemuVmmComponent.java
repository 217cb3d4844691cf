package io.msb.vmm.qemu.internal;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmBackend;
import io.msb.api.spi.VmmCapabilities;

/**
 * The OSGi face of {@link QemuVmm}: the same backend, built from its configuration. A configuration change swaps
 * in a new {@link QemuVmm} while the service stays registered (decision 0813), so a create arriving during an edit
 * never finds no backend; each call uses one configuration throughout, and VMs are separate processes that keep
 * running with the configuration they started with.
 */
@Component(configurationPid = QemuVmmComponent.PID, service = VmmBackend.class, property = "name=qemu")
@Designate(ocd = QemuConfig.class)
public final class QemuVmmComponent implements VmmBackend {
    static final String PID = "io.msb.vmm.qemu";
    private static final System.Logger LOG = System.getLogger(QemuVmmComponent.class.getName());
    /** One background kernel build per server start (JVM): a failed one is retried at the next start only. */
    private static final AtomicBoolean BUILD_STARTED = new AtomicBoolean();

    private volatile QemuVmm backend;
    private volatile QemuConfig config;

    @Activate
    public QemuVmmComponent(QemuConfig config) {
        modified(config);
    }

    @Modified
    void modified(QemuConfig config) {
        QemuVmm.Settings settings = new QemuVmm.Settings(config.qemu().trim(), MsbHome.resolve(config.home()),
                path(config.kernel()), path(config.kernelModules()), Accel.parse("accel", config.accel()),
                path(config.agentd()), config.runAs(), GuestKernelChoice.parse("guestKernel", config.guestKernel()));
        boolean background = switch (config.kernelBuild() == null ? "" : config.kernelBuild().trim()) {
            case "background" -> true;
            case "manual" -> false;
            default -> throw QemuCommand.invalid("kernelBuild", "must be background or manual, is '"
                    + config.kernelBuild() + "'");
        };
        this.config = config;
        backend = new QemuVmm(settings);
        if (background && settings.kernel() == null && settings.guestKernel() == GuestKernelChoice.AUTO
                && KernelLocator.msbBuild(settings.home().resolve("kernel")).isEmpty()
                && BUILD_STARTED.compareAndSet(false, true)) {
            Path cache = settings.home().resolve("kernel");
            DaemonThreads.start("msb-kernel-build", () -> buildInBackground(cache));
        }
    }

    /**
     * Builds msb's kernel (decision 1901) and, once complete, gives sandboxes started from then on a backend that
     * boots it; VMs already running keep their kernel.
     */
    private void buildInBackground(Path cache) {
        // MessageFormat patterns: a quote is written twice
        LOG.log(Level.INFO, "building msb''s guest kernel into {0} in the background (nice 19); sandboxes boot"
                + " Debian''s cloud kernel until it is complete", cache);
        try {
            long t0 = System.nanoTime();
            Path dir = KernelLocator.build(cache);
            LOG.log(Level.INFO, "msb''s guest kernel is built ({0} s): {1}; new sandboxes boot it",
                    (System.nanoTime() - t0) / 1_000_000_000L, dir);
            QemuConfig current = config;
            if (current != null) {
                modified(current);
            }
        } catch (MsbException | java.io.UncheckedIOException e) {
            LOG.log(Level.WARNING, "building msb''s guest kernel failed; sandboxes boot Debian''s cloud kernel, and the"
                    + " next server start tries again (or run `msb-server kernel build`): {0}", e.getMessage());
        }
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim()).toAbsolutePath();
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public boolean available() {
        return backend.available();
    }

    @Override
    public VmmCapabilities capabilities() {
        return backend.capabilities();
    }

    @Override
    public VmHandle start(VmSpec spec) {
        return backend.start(spec);
    }

    @Override
    public VmHandle restore(VmSpec spec, Path stateFile) {
        return backend.restore(spec, stateFile);
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return backend.reattach(sandboxName, pid, stateDir);
    }

    @Override
    public Optional<VmHandle> find(String sandboxName, Path stateDir) {
        return backend.find(sandboxName, stateDir);
    }

    @Override
    public Optional<String> acceleration() {
        return backend.acceleration();
    }

    @Override
    public Optional<String> guestKernelRelease() {
        return backend.guestKernelRelease();
    }

    @Override
    public Optional<String> accelerationReason() {
        return backend.accelerationReason();
    }

    @Override
    public List<BootFile> bootFiles() {
        return backend.bootFiles();
    }
}
