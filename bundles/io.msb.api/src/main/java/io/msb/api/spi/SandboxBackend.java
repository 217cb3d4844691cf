package io.msb.api.spi;

import io.msb.api.SandboxService;
import org.osgi.annotation.versioning.ProviderType;

/**
 * The whole sandbox API, carried out locally (the runtime, {@code msb.backend=local}) or remotely (a cloud server,
 * {@code msb.backend=cloud}). The {@link SandboxService} users see routes a create to the backend its spec names
 * (or the configured default) and every later call to the backend that holds the sandbox; a backend other than the
 * local one keeps its own record of the sandboxes it placed, so names are unique across all backends by that
 * routing. Register with the service property {@code msb.backend} set to {@link #name()}.
 */
@ProviderType
public interface SandboxBackend extends SandboxService {
    /** Short name used in configuration, e.g. {@code local} or {@code cloud}. */
    String name();

    /**
     * Whether the sandboxes of this backend can be reached now (a remote server answers). While not, its
     * {@link #list} and {@link #get} answer from what it last knew, each with {@code backendAvailable} false, and
     * other calls fail naming the backend.
     *
     * @since 2.7
     */
    default boolean available() {
        return true;
    }
}
