package io.msb.api;

/**
 * Why a run of a sandbox ended. {@link #SECRET_VIOLATION}: the network stopped it because a secret's placeholder was
 * bound for a host the secret does not allow and its action is {@code block-and-terminate} (the sandbox's log says
 * which secret and host).
 */
public enum TerminationReason {
    COMPLETED, FAILED, MAX_DURATION_EXCEEDED, IDLE_TIMEOUT, AGENT_UNRESPONSIVE,
    SHUTDOWN_REQUESTED, DRAIN_REQUESTED, SIGNAL, INTERNAL_ERROR, SECRET_VIOLATION
}
