package io.msb.runtime.internal;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.SandboxSpec;
import io.msb.api.spi.Admission;
import io.msb.api.spi.SandboxAdmission;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The admission policies a create passes (decision 1850): each in turn sees the spec the ones before admitted; a
 * refusal, an amendment that breaks a rule or renames the sandbox, and a policy's failure all fail the create,
 * naming the policy, before anything is written.
 */
final class Admissions {
    private final Supplier<List<SandboxAdmission>> policies;

    Admissions(Supplier<List<SandboxAdmission>> policies) {
        this.policies = policies;
    }

    /** The spec to create, as every policy registered now admits it. */
    SandboxSpec admit(SandboxSpec asked) {
        SandboxSpec spec = asked;
        for (SandboxAdmission policy : policies.get()) {
            spec = admitted(policy, spec);
        }
        return spec;
    }

    private static SandboxSpec admitted(SandboxAdmission policy, SandboxSpec spec) {
        String name = policy.name();
        Admission decision;
        try {
            decision = policy.admit(spec);
        } catch (RuntimeException e) {
            // fail closed: a create the policy could not judge is not made
            throw new MsbException("admission policy " + name + " failed: " + e, e);
        }
        if (decision instanceof Admission.Refuse refuse) {
            throw new InvalidConfigException(refuse.field(),
                    refuse.field() + ": refused by admission policy " + name + ": " + refuse.reason());
        }
        if (!(decision instanceof Admission.Admit admit)) {
            throw new MsbException("admission policy " + name + " failed: it decided nothing");
        }
        SandboxSpec amended = admit.spec();
        if (amended.equals(spec)) {
            return spec;
        }
        if (!amended.name().equals(spec.name())) {
            throw new InvalidConfigException("name", "name: admission policy " + name + " may not rename the sandbox");
        }
        try {
            // the same rules as the user's own input; the backend that creates applies the rest (limits, mounts)
            SpecValidator.validate(amended);
            return amended;
        } catch (InvalidConfigException e) {
            throw new InvalidConfigException(e.field(), "admission policy " + name + " made the spec invalid: "
                    + e.detail());
        }
    }

    /** Highest {@code service.ranking} first, then the oldest service (lowest {@code service.id}), as OSGi orders. */
    static List<SandboxAdmission> byRanking(List<Map.Entry<Map<String, Object>, SandboxAdmission>> services) {
        Comparator<Map.Entry<Map<String, Object>, SandboxAdmission>> order = Comparator
                .<Map.Entry<Map<String, Object>, SandboxAdmission>>comparingInt(e -> ranking(e.getKey())).reversed()
                .thenComparingLong(e -> e.getKey().get("service.id") instanceof Long id ? id : Long.MAX_VALUE);
        return services.stream().sorted(order).map(Map.Entry::getValue).toList();
    }

    private static int ranking(Map<String, Object> properties) {
        return properties.get("service.ranking") instanceof Integer r ? r : 0;
    }
}
