package io.msb.api;

/** Base of every error the platform reports; unchecked so that callers decide where to handle it. */
public class MsbException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MsbException(String message) {
        super(message);
    }

    public MsbException(String message, Throwable cause) {
        super(message, cause);
    }
}
