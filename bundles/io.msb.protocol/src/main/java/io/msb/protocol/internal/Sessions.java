package io.msb.protocol.internal;

import io.msb.api.MsbException;

final class Sessions {
    private Sessions() {
    }

    /** Rethrows a session failure on the caller's thread, keeping its type and adding the caller's stack. */
    static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof io.msb.protocol.AgentClosedException c) {
            return new io.msb.protocol.AgentClosedException(c.getMessage(), c);
        }
        if (cause instanceof io.msb.protocol.ProtocolException p) {
            return new io.msb.protocol.ProtocolException(p.kind(), p.getMessage(), p);
        }
        if (cause instanceof RuntimeException r) {
            return r;
        }
        return new MsbException(String.valueOf(cause.getMessage()), cause);
    }
}
