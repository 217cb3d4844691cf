package io.msb.protocol;

import io.msb.api.MsbException;

/** The agent connection is gone; every session that was pending on it fails with this. */
public final class AgentClosedException extends MsbException {
    private static final long serialVersionUID = 1L;

    public AgentClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
