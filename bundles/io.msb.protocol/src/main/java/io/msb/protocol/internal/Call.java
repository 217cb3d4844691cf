package io.msb.protocol.internal;

import io.msb.protocol.AgentTimeoutException;
import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/** A request whose answer is one terminal message (ping, touch, simple fs operations, tcp connect). */
public final class Call extends Session {
    private final CompletableFuture<Message> reply = new CompletableFuture<>();

    /** Sends the request and waits for its terminal reply. */
    public static Message run(Mux mux, MessageType type, Object payload, Duration timeout) {
        return run(mux, id -> Codec.encode(type, id, payload), type.wire(), timeout);
    }

    /** Sends the frame built for a fresh id and waits for the terminal reply. */
    public static Message run(Mux mux, IntFunction<Frame> frameForId, String what, Duration timeout) {
        Call c = new Call();
        int id = mux.register(c);
        try {
            mux.send(frameForId.apply(id));
        } catch (RuntimeException e) {
            mux.unregister(c);
            throw e;
        }
        return c.await(mux, what, timeout);
    }

    private Message await(Mux mux, String what, Duration timeout) {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            mux.unregister(this);
            throw new AgentTimeoutException(what + ": no reply within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mux.unregister(this);
            throw new AgentTimeoutException(what + ": interrupted while waiting for the reply");
        } catch (ExecutionException e) {
            throw Sessions.rethrow(e.getCause());
        }
    }

    @Override
    protected void onMessage(MessageType type, Message message) {
        if ((message.flags() & Frame.TERMINAL) != 0) {
            reply.complete(message);
        }
    }

    @Override
    protected void onFailure(RuntimeException cause) {
        reply.completeExceptionally(cause);
    }
}
