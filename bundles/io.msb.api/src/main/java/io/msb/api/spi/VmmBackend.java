package io.msb.api.spi;

import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Starts sandbox VMs. Several may be registered; the runtime chooses by configuration and service ranking
 * and keeps running VMs when a backend goes away.
 */
@ProviderType
public interface VmmBackend {
    /** Short name used in configuration, e.g. {@code qemu} or {@code libkrun}. */
    String name();

    /** Whether this backend can start VMs on this host now; the reason is logged when it cannot. */
    boolean available();

    VmHandle start(VmSpec spec);

    /** Reattaches to a VM this backend started earlier (perhaps from another process), if it is still alive. */
    Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir);
}
