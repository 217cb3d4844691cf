package io.msb.protocol;

import io.msb.protocol.internal.Codec;
import java.util.Objects;

/**
 * A decoded envelope: header fields plus {@code v}, {@code t} and the still-encoded payload.
 * The type is kept as its wire string so that a frame of an unknown type can still be answered.
 *
 * @param id correlation id
 * @param flags frame flags
 * @param version the sender's generation ({@code v}); informational
 * @param wireType {@code t}
 * @param payload {@code p}: the CBOR-encoded payload
 */
public record Message(int id, int flags, int version, String wireType, byte[] payload) {
    public Message {
        Objects.requireNonNull(wireType, "wireType");
        Objects.requireNonNull(payload, "payload");
    }

    /** The known type, or null for a type this generation does not know. */
    public MessageType type() {
        return MessageType.fromWire(wireType);
    }

    /** Decodes the payload; a mismatch is a {@link ProtocolException} of kind invalid_payload. */
    public <T> T payload(Class<T> type) {
        return Codec.decodePayload(this, type);
    }

    @Override
    public String toString() {
        return "Message[id=" + Integer.toUnsignedString(id) + ", flags=" + flags + ", v=" + version + ", t="
                + wireType + ", p=" + payload.length + "B]";
    }
}
