package io.msb.api.spi;

import io.msb.api.NetworkPolicy;
import org.osgi.annotation.versioning.ProviderType;

/** Compiles network policies and provides the per-sandbox network a VM attaches to. */
@ProviderType
public interface NetworkPolicyService {
    /** Checks a policy, failing with {@link io.msb.api.InvalidConfigException} on a bad rule. */
    void validate(NetworkPolicy policy);

    /** Sets up the sandbox's network and published ports. */
    NetworkAttachment attach(String sandboxName, NetworkPolicy policy);

    /** Releases what {@link #attach} took; does nothing if nothing is attached. */
    void detach(String sandboxName);
}
