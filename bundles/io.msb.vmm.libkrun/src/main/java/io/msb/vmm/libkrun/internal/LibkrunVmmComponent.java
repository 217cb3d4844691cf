package io.msb.vmm.libkrun.internal;

import java.nio.file.Path;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import io.msb.api.MsbHome;
import io.msb.api.spi.VmmBackend;

/**
 * The OSGi face of {@link LibkrunVmm}. Always registered, also where libkrun or KVM is missing: the runtime then
 * lists it and a create that names it fails with {@link #unavailableReason()} (decision 1745). A configuration change
 * takes effect for the next call while the service stays registered; VMs are separate processes and keep running.
 */
@Component(configurationPid = LibkrunVmmComponent.PID, service = VmmBackend.class,
        property = {"name=libkrun", "service.ranking:Integer=-10"})
@Designate(ocd = LibkrunConfig.class)
public final class LibkrunVmmComponent extends LibkrunVmm {
    static final String PID = "io.msb.vmm.libkrun";

    @Activate
    public LibkrunVmmComponent(LibkrunConfig config) {
        super(settings(config));
    }

    @Modified
    void modified(LibkrunConfig config) {
        configure(settings(config));
    }

    private static Settings settings(LibkrunConfig config) {
        return new Settings(path(config.launcher()), config.libkrun().trim(), path(config.kernel()),
                config.kernelFormat().trim(), path(config.agentd()), MsbHome.resolve(config.home()), config.logLevel(),
                Map.of());
    }

    private static Path path(String value) {
        return value == null || value.isBlank() ? null : Path.of(value.trim()).toAbsolutePath();
    }
}
