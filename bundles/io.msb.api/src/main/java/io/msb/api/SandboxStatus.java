package io.msb.api;

/** The lifecycle state of a sandbox, as microsandbox names them. */
public enum SandboxStatus {
    CREATED, STARTING, RUNNING, DRAINING, PAUSED, STOPPED, CRASHED;

    /** A sandbox in this state has (or should have) a live VM process. */
    public boolean expectsLiveVm() {
        return this == STARTING || this == RUNNING || this == DRAINING || this == PAUSED;
    }
}
