package io.msb.protocol;

import java.io.IOException;

/**
 * A frame-level failure: the byte stream can no longer be trusted, so the reader stops and the
 * connection is closed (message-level problems are {@link ProtocolException}s instead).
 */
public final class FrameException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong; the names match the conformance vectors' error classes. */
    public enum Kind { FRAME_TOO_LARGE, FRAME_TOO_SHORT, TRUNCATED }

    private final Kind kind;

    public FrameException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
