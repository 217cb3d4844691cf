package io.msb.api.network;

/** What a policy does with a flow: microsandbox's {@code "allow"} or {@code "deny"}. */
public enum Action {
    ALLOW, DENY
}
