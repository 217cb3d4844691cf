package io.msb.protocol.internal;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import io.msb.api.InvalidConfigException;
import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.Fs;
import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import io.msb.protocol.Tcp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CBOR side of the codec. Envelopes and single-{@code data} payloads (the hot path) are
 * written by hand; other payloads go through Jackson via a tree, because Jackson writes POJOs
 * as indefinite-length maps while the canonical form (and the conformance vectors) use
 * definite lengths.
 */
public final class Cbor {
    private static final CBORFactory FACTORY = CBORFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(32)
                    .maxStringLength(Frame.MAX_FRAME_SIZE)
                    .maxNumberLength(64)
                    .build())
            .build();

    static final ObjectMapper MAPPER = CBORMapper.builder(FACTORY)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private static final byte[] NULL = { (byte) 0xf6 };
    private static final int MAX_TYPE_LENGTH = 256;

    private Cbor() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The canonical CBOR encoding of a payload (null encodes CBOR null, as Rust's unit). */
    public static byte[] encodePayload(Object payload) {
        if (payload == null) {
            return NULL.clone();
        }
        byte[] data = dataOf(payload);
        if (data != null) {
            Buf b = new Buf(data.length + 16);
            b.head(5, 1);
            b.text("data");
            b.head(2, data.length);
            b.bytes(data, 0, data.length);
            return b.toArray();
        }
        try {
            JsonNode tree = MAPPER.valueToTree(payload);
            return MAPPER.writeValueAsBytes(tree);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("payload: cannot encode " + payload.getClass().getSimpleName(), e);
        }
    }

    private static byte[] dataOf(Object payload) {
        if (payload instanceof Exec.Stdout p) {
            return p.data();
        } else if (payload instanceof Exec.Stdin p) {
            return p.data();
        } else if (payload instanceof Exec.Stderr p) {
            return p.data();
        } else if (payload instanceof Fs.Data p) {
            return p.data();
        } else if (payload instanceof Tcp.Data p) {
            return p.data();
        }
        return null;
    }

    /** The envelope {v, t, p} in canonical form. */
    public static byte[] encodeEnvelope(String type, byte[] payload) {
        byte[] t = type.getBytes(StandardCharsets.UTF_8);
        Buf b = new Buf(16 + t.length + payload.length);
        b.head(5, 3);
        b.text("v");
        b.head(0, MessageType.PROTOCOL_VERSION);
        b.text("t");
        b.head(3, t.length);
        b.bytes(t, 0, t.length);
        b.text("p");
        b.head(2, payload.length);
        b.bytes(payload, 0, payload.length);
        return b.toArray();
    }

    /** Decodes an envelope; anything but one well-formed {v, t, p} map is malformed_message. */
    public static Message decodeEnvelope(Frame frame) {
        Message fast = canonicalEnvelope(frame);
        return fast != null ? fast : parseEnvelope(frame);
    }

    /** The common case, canonical {v, t, p} with an ASCII type, without a parser; null otherwise. */
    private static Message canonicalEnvelope(Frame frame) {
        byte[] b = frame.body();
        if (b.length < 9 || (b[0] & 0xff) != 0xa3 || (b[1] & 0xff) != 0x61 || b[2] != 'v' || (b[3] & 0xe0) != 0
                || (b[3] & 0x1f) >= 24 || (b[4] & 0xff) != 0x61 || b[5] != 't' || (b[6] & 0xe0) != 0x60) {
            return null;
        }
        int tlen = b[6] & 0x1f;
        if (tlen >= 24) {
            if (tlen != 24) {
                return null;
            }
            tlen = b[7] & 0xff;
        }
        int off = (b[6] & 0x1f) == 24 ? 8 : 7;
        if (tlen > MAX_TYPE_LENGTH || off + tlen + 3 > b.length) {
            return null;
        }
        for (int i = off; i < off + tlen; i++) {
            if (b[i] < 0x20) {
                return null; // control or non-ASCII (negative): leave it to the full parser
            }
        }
        String t = new String(b, off, tlen, StandardCharsets.US_ASCII);
        off += tlen;
        if ((b[off] & 0xff) != 0x61 || b[off + 1] != 'p' || (b[off + 2] & 0xe0) != 0x40) {
            return null;
        }
        int info = b[off + 2] & 0x1f;
        off += 3;
        long len;
        if (info < 24) {
            len = info;
        } else if (info == 24 && off + 1 <= b.length) {
            len = b[off] & 0xff;
            off += 1;
        } else if (info == 25 && off + 2 <= b.length) {
            len = (b[off] & 0xff) << 8 | b[off + 1] & 0xff;
            off += 2;
        } else if (info == 26 && off + 4 <= b.length) {
            len = Integer.toUnsignedLong(int32(b, off));
            off += 4;
        } else {
            return null;
        }
        if (off + len != b.length) {
            return null;
        }
        return new Message(frame.id(), frame.flags(), b[3] & 0x1f, t,
                java.util.Arrays.copyOfRange(b, off, b.length));
    }

    private static Message parseEnvelope(Frame frame) {
        Integer v = null;
        String t = null;
        byte[] p = null;
        try (CBORParser parser = FACTORY.createParser(frame.body())) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw malformed("envelope: must be a CBOR map");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                case "v" -> {
                    if (value != JsonToken.VALUE_NUMBER_INT) {
                        throw malformed("v: must be an unsigned integer");
                    }
                    long version = parser.getLongValue();
                    if (version < 0 || version > 255) {
                        throw malformed("v: must be in [0, 255], got " + version);
                    }
                    v = (int) version;
                }
                case "t" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw malformed("t: must be a text string");
                    }
                    t = parser.getText();
                    if (t.length() > MAX_TYPE_LENGTH) {
                        throw malformed("t: longer than " + MAX_TYPE_LENGTH + " characters");
                    }
                }
                case "p" -> {
                    if (value != JsonToken.VALUE_EMBEDDED_OBJECT) {
                        throw malformed("p: must be a byte string");
                    }
                    p = parser.getBinaryValue();
                }
                default -> parser.skipChildren();
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                throw malformed("envelope: map is not terminated");
            }
            if (parser.nextToken() != null) {
                throw malformed("envelope: trailing bytes after the map");
            }
        } catch (StreamReadException e) {
            throw malformed("envelope: invalid CBOR: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw malformed("envelope: " + e.getMessage());
        }
        if (v == null || t == null || p == null) {
            throw malformed("envelope: " + (v == null ? "v" : t == null ? "t" : "p") + " is required");
        }
        return new Message(frame.id(), frame.flags(), v, t, p);
    }

    /** Decodes a payload; a mismatch is invalid_payload naming the field when it can. */
    public static <T> T decodePayload(Message m, Class<T> type) {
        byte[] p = m.payload();
        byte[] data = canonicalData(p);
        if (data != null) {
            Object fast = dataPayload(type, data);
            if (fast != null) {
                return type.cast(fast);
            }
        }
        try {
            T value = MAPPER.readValue(p, type);
            if (value == null && type != Void.class) {
                throw new ProtocolException(Core.ErrorKind.INVALID_PAYLOAD,
                        m.wireType() + ": payload is null, expected " + type.getSimpleName());
            }
            return value;
        } catch (ValueInstantiationException e) {
            // our own validation: its detail already starts with the field name
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String detail = cause instanceof InvalidConfigException ice ? ice.detail() : cause.getMessage();
            throw new ProtocolException(Core.ErrorKind.INVALID_PAYLOAD,
                    m.wireType() + ": " + prefix(parentPath(e)) + detail, e);
        } catch (JsonMappingException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Cannot map `null` into type")) {
                msg = "required";
            }
            String path = path(e.getPath());
            throw new ProtocolException(Core.ErrorKind.INVALID_PAYLOAD,
                    m.wireType() + ": " + (path.isEmpty() ? "" : path + ": ") + msg, e);
        } catch (IOException e) {
            String msg = e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage();
            throw new ProtocolException(Core.ErrorKind.INVALID_PAYLOAD, m.wireType() + ": " + msg, e);
        }
    }

    /** The bytes of a canonical {"data": bstr} payload (the hot path), or null for any other shape. */
    private static byte[] canonicalData(byte[] p) {
        if (p.length < 7 || (p[0] & 0xff) != 0xa1 || (p[1] & 0xff) != 0x64 || p[2] != 'd' || p[3] != 'a'
                || p[4] != 't' || p[5] != 'a' || (p[6] & 0xe0) != 0x40) {
            return null;
        }
        int info = p[6] & 0x1f;
        int off = 7;
        long len;
        if (info < 24) {
            len = info;
        } else if (info == 24 && p.length >= 8) {
            len = p[7] & 0xff;
            off = 8;
        } else if (info == 25 && p.length >= 9) {
            len = (p[7] & 0xff) << 8 | p[8] & 0xff;
            off = 9;
        } else if (info == 26 && p.length >= 11) {
            len = Integer.toUnsignedLong(int32(p, 7));
            off = 11;
        } else {
            return null;
        }
        if (off + len != p.length) {
            return null; // trailing bytes or short: let the full decoder report it
        }
        return java.util.Arrays.copyOfRange(p, off, p.length);
    }

    static int int32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }

    private static Object dataPayload(Class<?> type, byte[] data) {
        if (type == Exec.Stdout.class) {
            return new Exec.Stdout(data);
        } else if (type == Exec.Stderr.class) {
            return new Exec.Stderr(data);
        } else if (type == Exec.Stdin.class) {
            return new Exec.Stdin(data);
        } else if (type == Fs.Data.class) {
            return new Fs.Data(data);
        } else if (type == Tcp.Data.class) {
            return new Tcp.Data(data);
        }
        return null;
    }

    private static String prefix(String path) {
        return path.isEmpty() ? "" : path + ".";
    }

    /** Where a failed record creation sits: the path up to (not including) the record itself. */
    private static String parentPath(JsonMappingException e) {
        List<JsonMappingException.Reference> refs = e.getPath();
        return path(refs.isEmpty() ? refs : refs.subList(0, refs.size() - 1));
    }

    /** data.List[3].kind from Jackson's reference chain, with wire (snake_case) names. */
    private static String path(List<JsonMappingException.Reference> refs) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : refs) {
            if (r.getFieldName() != null) {
                b.append(b.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static ProtocolException malformed(String message) {
        return new ProtocolException(Core.ErrorKind.MALFORMED_MESSAGE, message);
    }

    /** A growable byte buffer that writes CBOR heads in their shortest form. */
    static final class Buf {
        private byte[] a;
        private int n;

        Buf(int capacity) {
            a = new byte[capacity];
        }

        void head(int major, long value) {
            int m = major << 5;
            if (value < 24) {
                put(m | (int) value);
            } else if (value < 0x100) {
                put(m | 24);
                put((int) value);
            } else if (value < 0x10000) {
                put(m | 25);
                put((int) (value >>> 8));
                put((int) value);
            } else if (value < 0x100000000L) {
                put(m | 26);
                for (int s = 24; s >= 0; s -= 8) {
                    put((int) (value >>> s));
                }
            } else {
                put(m | 27);
                for (int s = 56; s >= 0; s -= 8) {
                    put((int) (value >>> s));
                }
            }
        }

        void text(String ascii) {
            head(3, ascii.length());
            for (int i = 0; i < ascii.length(); i++) {
                put(ascii.charAt(i));
            }
        }

        void bytes(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, a, n, len);
            n += len;
        }

        private void put(int b) {
            ensure(1);
            a[n++] = (byte) b;
        }

        private void ensure(int more) {
            if (n + more > a.length) {
                a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, n + more));
            }
        }

        byte[] toArray() {
            return n == a.length ? a : java.util.Arrays.copyOf(a, n);
        }
    }
}
