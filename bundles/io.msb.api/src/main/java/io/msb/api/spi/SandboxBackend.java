package io.msb.api.spi;

import io.msb.api.SandboxService;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The whole sandbox API, carried out locally (the runtime) or remotely (a cloud server). The
 * {@link SandboxService} users see delegates to the selected backend.
 */
@ProviderType
public interface SandboxBackend extends SandboxService {
    /** Short name used in configuration, e.g. {@code local} or {@code cloud}. */
    String name();
}
