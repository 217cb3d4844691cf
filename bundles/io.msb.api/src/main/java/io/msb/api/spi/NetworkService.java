package io.msb.api.spi;

import io.msb.api.network.NetworkConfig;
import io.msb.api.network.NetworkPolicy;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
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
    default NetworkAttachment attach(String sandbox, Path stateDir, NetworkConfig config) {
        return attach(sandbox, stateDir, config, reason -> { });
    }

    /**
     * {@link #attach(String, Path, NetworkConfig)}, telling {@code terminate} when the network wants the sandbox
     * stopped (a secret's {@code block-and-terminate} violation). The reason never contains a secret's value.
     * Secrets reach this service with their values resolved: {@link io.msb.api.network.SecretEntry#source()} is
     * null in every entry.
     */
    NetworkAttachment attach(String sandbox, Path stateDir, NetworkConfig config, Consumer<String> terminate);

    /**
     * The certificate (PEM) of the CA that intercepted TLS is signed with, created on first use; guests with TLS
     * interception trust it. Empty if this service does not intercept TLS.
     */
    default Optional<String> interceptCaPem() {
        return Optional.empty();
    }

    /** Replaces the sandbox's policy; new flows follow it, open ones are left alone. */
    void update(String sandbox, NetworkPolicy policy);

    /** Stops the sandbox's network and releases its addresses and ports; does nothing if none is attached. */
    void detach(String sandbox);

    /** What {@link #attach} returned for the sandbox while it stays attached, or empty if it has no network. */
    Optional<NetworkAttachment> attachment(String sandbox);

    /** The sandbox's counters, or empty if it has no network. */
    Optional<NetworkCounters> counters(String sandbox);
}
