package io.msb.api.exec;

/** Why the agent could not start a process, as the agent protocol reports it. */
public enum ExecFailureKind {
    NOT_FOUND, PERMISSION_DENIED, NOT_EXECUTABLE, BAD_CWD, BAD_ARGS, RESOURCE_LIMIT, USER_SETUP_FAILED,
    PTY_SETUP_FAILED, OTHER,
    /** The guest ran out of memory while starting the process (added in 1.1). */
    OUT_OF_MEMORY
}
