package io.msb.api.spi;

import io.msb.api.SandboxSpec;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A policy the platform consults before it creates a sandbox, on any backend: it may admit the spec as asked, admit
 * an amended spec (e.g. with labels added), or refuse with a reason. Register any number as services; the platform
 * asks each in ranking order (highest {@code service.ranking} first), each seeing what the ones before admitted,
 * before anything is written. A refusal fails the create with an {@link io.msb.api.InvalidConfigException} naming
 * the policy, the field and the reason; an amended spec is validated as the user's own input is. A policy that
 * throws fails the create too. Services come and go while the platform runs: a create asks those registered then.
 *
 * <p>The platform does not know who asks (API keys have no names), so a policy decides on the spec alone.
 *
 * @since 2.7
 */
@ConsumerType
public interface SandboxAdmission {
    /** Short name that refusals quote, e.g. {@code image-allowlist}. */
    String name();

    /**
     * Decides on one create.
     *
     * @param spec what the user asked, as amended by the policies consulted before this one
     * @return {@link Admission#admit} with the spec to create (the same name), or {@link Admission#refuse}
     */
    Admission admit(SandboxSpec spec);
}
