package io.msb.backend.cloud.internal;

import io.msb.api.MsbException;

/**
 * The remote server did not answer (refused, reset, timed out). {@link #maybeDelivered()}: the request may have
 * reached it before the connection failed, so what it asked may have happened there.
 */
final class RemoteUnreachableException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final boolean maybeDelivered;

    RemoteUnreachableException(String message, boolean maybeDelivered, Throwable cause) {
        super(message, cause);
        this.maybeDelivered = maybeDelivered;
    }

    boolean maybeDelivered() {
        return maybeDelivered;
    }
}
