package io.msb.api.network;

import java.util.Objects;

/**
 * microsandbox's {@code NetworkPolicy}. Minimal shape for now (the direction defaults); the rules come with
 * the policy engine.
 */
public record NetworkPolicy(Action defaultEgress, Action defaultIngress) {
    public NetworkPolicy {
        Objects.requireNonNull(defaultEgress, "default_egress");
        Objects.requireNonNull(defaultIngress, "default_ingress");
    }
}
