package io.msb.api;

/** Why a run of a sandbox ended. */
public enum TerminationReason {
    COMPLETED, FAILED, MAX_DURATION_EXCEEDED, IDLE_TIMEOUT, AGENT_UNRESPONSIVE,
    SHUTDOWN_REQUESTED, DRAIN_REQUESTED, SIGNAL, INTERNAL_ERROR
}
