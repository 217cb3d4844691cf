package io.msb.protocol;

import io.msb.api.MsbException;

/** The agent did not answer within the allowed time. */
public final class AgentTimeoutException extends MsbException {
    private static final long serialVersionUID = 1L;

    public AgentTimeoutException(String message) {
        super(message);
    }
}
