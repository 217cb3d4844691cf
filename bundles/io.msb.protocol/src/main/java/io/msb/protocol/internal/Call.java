package io.msb.protocol.internal;

import io.msb.protocol.AgentTimeoutException;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A request whose answer is one terminal message (ping, touch, simple fs operations, tcp connect). */
public final class Call extends Session {
    private final CompletableFuture<Message> reply = new CompletableFuture<>();

    /** Sends the request and waits for its terminal reply. */
    public static Message run(Mux mux, MessageType type, Object payload, Duration timeout) {
        Call c = new Call();
        int id = mux.register(c);
        try {
            mux.send(type, id, payload);
        } catch (RuntimeException e) {
            mux.unregister(c);
            throw e;
        }
        return c.await(mux, type, timeout);
    }

    Message await(Mux mux, MessageType type, Duration timeout) {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            mux.unregister(this);
            throw new AgentTimeoutException(type.wire() + ": no reply within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mux.unregister(this);
            throw new AgentTimeoutException(type.wire() + ": interrupted while waiting for the reply");
        } catch (ExecutionException e) {
            throw Sessions.rethrow(e.getCause());
        }
    }

    @Override
    protected void onMessage(MessageType type, Message message) {
        if ((message.flags() & io.msb.protocol.Frame.TERMINAL) != 0) {
            reply.complete(message);
        }
    }

    @Override
    protected void onFailure(RuntimeException cause) {
        reply.completeExceptionally(cause);
    }
}
