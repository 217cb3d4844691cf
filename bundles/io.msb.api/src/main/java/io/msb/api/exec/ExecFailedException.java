package io.msb.api.exec;

import io.msb.api.MsbException;

/** The agent could not start the process. */
public class ExecFailedException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final ExecFailureKind kind;

    public ExecFailedException(ExecFailureKind kind, String message) {
        super("exec failed (" + kind + "): " + message);
        this.kind = kind;
    }

    public ExecFailureKind kind() {
        return kind;
    }
}
