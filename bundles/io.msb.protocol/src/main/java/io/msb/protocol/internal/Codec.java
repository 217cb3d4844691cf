package io.msb.protocol.internal;

import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.Fs;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import io.msb.protocol.Tcp;

import java.util.Objects;

/** Typed encoding and decoding of frames: envelope {@code {v, t, p}} with a CBOR payload. */
public final class Codec {
    private Codec() {
    }

    /** Encodes a message of a known type; the flags are the type's fixed flags. */
    public static Frame encode(MessageType type, int id, Object payload) {
        Objects.requireNonNull(type, "type");
        return new Frame(id, type.flags(), Cbor.encodeEnvelope(type.wire(), Cbor.encodePayload(payload)));
    }

    /** Encodes with explicit flags and wire type, for tests and relays that must send odd frames. */
    public static Frame encodeRaw(String wireType, int id, int flags, byte[] payload) {
        return new Frame(id, flags, Cbor.encodeEnvelope(wireType, payload));
    }

    /** The canonical CBOR bytes of a payload (null is CBOR null, the unit payload). */
    public static byte[] encodePayload(Object payload) {
        return Cbor.encodePayload(payload);
    }

    /**
     * Decodes the envelope of a frame. The type may be unknown ({@link Message#type()} is then
     * null); checking it and the flags is the dispatcher's job (see {@link #validate}).
     *
     * @throws ProtocolException (malformed_message) if the body is not one {v, t, p} map
     */
    public static Message decode(Frame frame) {
        return Cbor.decodeEnvelope(frame);
    }

    /** Decodes a payload into {@code type}; a mismatch is a {@link ProtocolException} (invalid_payload). */
    public static <T> T decodePayload(Message message, Class<T> type) {
        return Cbor.decodePayload(message, type);
    }

    /**
     * Checks what a receiver must check before dispatching: a known type and its fixed flags.
     *
     * @return the type
     * @throws ProtocolException unsupported_message_type or invalid_flags
     */
    public static MessageType validate(Message message) {
        MessageType t = message.type();
        if (t == null) {
            throw new ProtocolException(Core.ErrorKind.UNSUPPORTED_MESSAGE_TYPE,
                    "unknown message type: " + message.wireType());
        }
        if (message.flags() != t.flags()) {
            throw new ProtocolException(Core.ErrorKind.INVALID_FLAGS,
                    "invalid flags for " + t.wire() + ": got " + message.flags() + ", expected " + t.flags());
        }
        return t;
    }

    /** The payload class for each type, for generic decoders and tools. */
    public static Class<?> payloadClass(MessageType type) {
        return switch (type) {
        case READY -> Core.Ready.class;
        case INIT_RESOLVED -> Core.InitResolved.class;
        case INIT_ACK -> Core.InitAck.class;
        case SHUTDOWN -> Void.class;
        case BOOTSTRAP -> Object.class;
        case RELAY_CLIENT_DISCONNECTED -> Core.RelayClientDisconnected.class;
        case CLOCK_SYNC -> Core.ClockSync.class;
        case PING -> Core.Ping.class;
        case PONG -> Core.Pong.class;
        case TOUCH -> Core.Touch.class;
        case TOUCHED -> Core.Touched.class;
        case CORE_ERROR -> Core.Error.class;
        case EXEC_REQUEST -> Exec.Request.class;
        case EXEC_STARTED -> Exec.Started.class;
        case EXEC_STDIN -> Exec.Stdin.class;
        case EXEC_STDIN_ERROR -> Exec.StdinError.class;
        case EXEC_STDOUT -> Exec.Stdout.class;
        case EXEC_STDERR -> Exec.Stderr.class;
        case EXEC_EXITED -> Exec.Exited.class;
        case EXEC_FAILED -> Exec.Failed.class;
        case EXEC_RESIZE -> Exec.Resize.class;
        case EXEC_SIGNAL -> Exec.Signal.class;
        case FS_REQUEST -> Fs.Request.class;
        case FS_RESPONSE -> Fs.Response.class;
        case FS_DATA -> Fs.Data.class;
        case TCP_CONNECT -> Tcp.Connect.class;
        case TCP_CONNECTED -> Tcp.Connected.class;
        case TCP_DATA -> Tcp.Data.class;
        case TCP_EOF -> Tcp.Eof.class;
        case TCP_CLOSE -> Tcp.Close.class;
        case TCP_CLOSED -> Tcp.Closed.class;
        case TCP_FAILED -> Tcp.Failed.class;
        case FLOW_PAUSE, FLOW_RESUME -> Core.Flow.class;
        case IDENTITY_APPLY -> Core.IdentityApply.class;
        case IDENTITY_APPLIED -> Core.IdentityApplied.class;
        };
    }
}
