package io.msb.api.spi;

import io.msb.api.SandboxSpec;
import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a {@link SandboxAdmission} decides about one create: {@link Admit} (possibly amended) or {@link Refuse}.
 *
 * @since 2.7
 */
@ProviderType
public sealed interface Admission {
    /** Create {@code spec}: the one asked or an amendment of it. */
    static Admission admit(SandboxSpec spec) {
        return new Admit(spec);
    }

    /** Do not create: {@code field} (e.g. {@code image}) breaks the policy for {@code reason}. */
    static Admission refuse(String field, String reason) {
        return new Refuse(field, reason);
    }

    /** Create this spec. */
    record Admit(SandboxSpec spec) implements Admission {
        public Admit {
            Objects.requireNonNull(spec, "spec");
        }
    }

    /** Refused: the field the policy objects to and why, worded for the user. */
    record Refuse(String field, String reason) implements Admission {
        public Refuse {
            Objects.requireNonNull(field, "field");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
