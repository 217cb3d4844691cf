package io.msb.vmm.qemu.internal;

import java.nio.file.Path;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbHome;
import io.msb.api.spi.VmmBackend;

/**
 * The OSGi face of {@link QemuVmm}: the same backend, built from its configuration. VMs are separate processes,
 * so deactivating this component (e.g. on a configuration change) leaves them running; the runtime reattaches
 * through the new instance.
 */
@Component(configurationPid = QemuVmmComponent.PID, service = VmmBackend.class, property = "name=qemu")
@Designate(ocd = QemuConfig.class)
public final class QemuVmmComponent extends QemuVmm {
    static final String PID = "io.msb.vmm.qemu";

    @Activate
    public QemuVmmComponent(QemuConfig config) {
        super(new QemuVmm.Settings(config.qemu().trim(), MsbHome.resolve(config.home()), path(config.kernel()),
                path(config.kernelModules()), Accel.parse("accel", config.accel()), path(config.agentd()),
                config.runAs()));
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim()).toAbsolutePath();
    }
}
