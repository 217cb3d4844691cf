package io.msb.vmm.qemu.internal;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbHome;
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

    private volatile QemuVmm backend;

    @Activate
    public QemuVmmComponent(QemuConfig config) {
        modified(config);
    }

    @Modified
    void modified(QemuConfig config) {
        backend = new QemuVmm(new QemuVmm.Settings(config.qemu().trim(), MsbHome.resolve(config.home()),
                path(config.kernel()), path(config.kernelModules()), Accel.parse("accel", config.accel()),
                path(config.agentd()), config.runAs()));
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
