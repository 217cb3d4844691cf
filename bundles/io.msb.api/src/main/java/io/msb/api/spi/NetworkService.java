package io.msb.api.spi;

import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import java.nio.file.Path;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/** Serves each sandbox's user-space network: addressing, policy, DNS, published ports, limits. */
@ProviderType
public interface NetworkService {
    /**
     * Starts (or finds, after a server restart) the sandbox's network; the VM attaches to the result. The
     * same sandbox gets the same addresses again while it stays attached.
     *
     * @param stateDir the sandbox's directory, where the frame socket lives
     */
    NetworkAttachment attach(String sandbox, Path stateDir, NetworkConfig config);

    /** Replaces the sandbox's policy; new flows follow it, open ones are left alone. */
    void update(String sandbox, NetworkPolicy policy);

    /** Stops the sandbox's network and releases its addresses and ports; does nothing if none is attached. */
    void detach(String sandbox);

    /** What {@link #attach} returned for the sandbox while it stays attached, or empty if it has no network. */
    Optional<NetworkAttachment> attachment(String sandbox);

    /** The sandbox's counters, or empty if it has no network. */
    Optional<NetworkCounters> counters(String sandbox);
}
