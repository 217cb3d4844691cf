package io.msb.protocol;

import io.msb.protocol.internal.Codec;
import java.util.Arrays;

/**
 * Jazzer target, structure-aware: the first byte picks a message type, the rest is its CBOR payload, wrapped in a
 * valid envelope so every input reaches that type's payload decoder. Same oracle as {@link FrameFuzz}.
 */
public final class PayloadFuzz {
    private static final MessageType[] TYPES = MessageType.values();

    private PayloadFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) {
        if (data.length == 0) {
            return;
        }
        MessageType type = TYPES[(data[0] & 0xff) % TYPES.length];
        byte[] payload = Arrays.copyOfRange(data, 1, data.length);
        decode(Codec.encodeRaw(type.wire(), 1, type.flags(), payload));
    }

    /** Envelope → type and flags check → payload; throws on anything but a clean rejection or a stable value. */
    static void decode(Frame f) {
        Object value;
        MessageType type;
        try {
            Message m = Codec.decode(f);
            type = Codec.validate(m);
            value = m.payload(Codec.payloadClass(type));
        } catch (ProtocolException expected) {
            return;
        }
        byte[] once = Codec.encodePayload(value);
        Object back = Codec.decodePayload(new Message(f.id(), f.flags(), MessageType.PROTOCOL_VERSION, type.wire(), once),
                Codec.payloadClass(type));
        byte[] twice = Codec.encodePayload(back);
        if (!Arrays.equals(once, twice)) {
            throw new IllegalStateException(type + ": payload changes on a round trip: " + value + " -> " + back);
        }
    }
}
