package io.msb.vmm.qemu.internal;

import java.nio.file.Path;
import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbHome;
import io.msb.api.spi.VmHandle;
import io.msb.api.spi.VmSpec;
import io.msb.api.spi.VmmCapabilities;
import io.msb.api.spi.VmmBackend;

/**
 * The OSGi face of {@link QemuVmm}. VMs are separate processes, so deactivating this component (e.g. on a
 * configuration change) leaves them running; the runtime reattaches through the new instance.
 */
@Component(configurationPid = QemuVmmComponent.PID, service = VmmBackend.class, property = "name=qemu")
@Designate(ocd = QemuConfig.class)
public final class QemuVmmComponent implements VmmBackend {
    static final String PID = "io.msb.vmm.qemu";

    private final QemuVmm vmm;

    @Activate
    public QemuVmmComponent(QemuConfig config) {
        this.vmm = new QemuVmm(new QemuVmm.Settings(config.qemu().trim(), MsbHome.resolve(config.home()),
                path(config.kernel()), path(config.kernelModules()), Accel.parse("accel", config.accel()),
                path(config.agentd()), config.runAs()));
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim()).toAbsolutePath();
    }

    @Override
    public String name() {
        return vmm.name();
    }

    @Override
    public boolean available() {
        return vmm.available();
    }

    @Override
    public VmmCapabilities capabilities() {
        return vmm.capabilities();
    }

    @Override
    public VmHandle start(VmSpec spec) {
        return vmm.start(spec);
    }

    @Override
    public Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir) {
        return vmm.reattach(sandboxName, pid, stateDir);
    }

    @Override
    public Optional<VmHandle> find(String sandboxName, Path stateDir) {
        return vmm.find(sandboxName, stateDir);
    }
}
