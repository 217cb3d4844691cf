package io.msb.protocol;

import io.msb.api.MsbException;

/**
 * A recoverable, message-level protocol error (the frame boundary is intact); its
 * {@link Core.ErrorKind} is what a peer reports back in {@code core.error}.
 */
public final class ProtocolException extends MsbException {
    private static final long serialVersionUID = 1L;
    private final Core.ErrorKind kind;

    public ProtocolException(Core.ErrorKind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ProtocolException(Core.ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Core.ErrorKind kind() {
        return kind;
    }
}
