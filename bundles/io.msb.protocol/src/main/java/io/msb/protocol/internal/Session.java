package io.msb.protocol.internal;

import io.msb.protocol.Message;
import io.msb.protocol.MessageType;

/** One correlation id's conversation with the agent; callbacks run on the connection's reader thread. */
public abstract class Session {
    volatile int id;

    public int id() {
        return id;
    }

    /**
     * A message of a known type for this id. A {@link io.msb.protocol.ProtocolException} thrown
     * here fails the session. Must not wait for a consumer: queue through a {@link Flow} instead
     * (decision 0310).
     */
    protected abstract void onMessage(MessageType type, Message message);

    /** The session ended abnormally: agent core.error, invalid payload, or connection loss. */
    protected abstract void onFailure(RuntimeException cause);
}
