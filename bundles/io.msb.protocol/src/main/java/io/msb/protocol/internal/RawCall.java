package io.msb.protocol.internal;

import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.util.concurrent.CompletableFuture;

/** Waits for the first terminal answer to a raw request; a core.error fails it with its kind. */
public final class RawCall extends Session {
    private final CompletableFuture<Message> done;

    public RawCall(CompletableFuture<Message> done) {
        this.done = done;
    }

    @Override
    protected void onMessage(MessageType type, Message message) {
        if ((message.flags() & Frame.TERMINAL) != 0) {
            done.complete(message);
        }
    }

    @Override
    protected void onFailure(RuntimeException cause) {
        done.completeExceptionally(cause instanceof ProtocolException p ? p : cause);
    }
}
