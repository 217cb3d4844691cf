package io.msb.vmm.libkrun.internal;

import java.nio.file.Path;
import java.util.Map;
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
 * The OSGi face of {@link LibkrunVmm}. Always registered, also where libkrun or KVM is missing: the runtime then
 * lists it and a create that names it fails with {@link #unavailableReason()} (decision 1745). A configuration change
 * swaps in a new {@link LibkrunVmm} while the service stays registered; VMs are separate processes and keep running.
 */
@Component(configurationPid = LibkrunVmmComponent.PID, service = VmmBackend.class, property = "name=libkrun")
@Designate(ocd = LibkrunConfig.class)
public final class LibkrunVmmComponent implements VmmBackend {
    static final String PID = "io.msb.vmm.libkrun";

    private volatile LibkrunVmm backend;

    @Activate
    public LibkrunVmmComponent(LibkrunConfig config) {
        modified(config);
    }

    @Modified
    void modified(LibkrunConfig config) {
        backend = new LibkrunVmm(new LibkrunVmm.Settings(path(config.launcher()), config.libkrun().trim(),
                path(config.kernel()), config.kernelFormat().trim(), path(config.agentd()),
                MsbHome.resolve(config.home()), config.logLevel(), Map.of()));
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
    public Optional<String> unavailableReason() {
        return backend.unavailableReason();
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
}
