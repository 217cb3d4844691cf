package io.msb.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One wire frame, {@code [len u32 BE][id u32 BE][flags u8][body]}, with the CBOR body left
 * undecoded so that relays can route on id and flags alone.
 *
 * @param id correlation id (unsigned 32 bits, carried in an int)
 * @param flags {@link #TERMINAL}, {@link #SESSION_START}, {@link #SHUTDOWN}
 * @param body the CBOR envelope bytes ({@code v}, {@code t}, {@code p})
 */
public record Frame(int id, int flags, byte[] body) {
    /** Largest value of {@code len}: id + flags + body. */
    public static final int MAX_FRAME_SIZE = 4 * 1024 * 1024;
    /** Bytes of id + flags. */
    public static final int HEADER_SIZE = 5;
    public static final int TERMINAL = 1;
    public static final int SESSION_START = 2;
    public static final int SHUTDOWN = 4;

    public Frame {
        Objects.requireNonNull(body, "body");
        if (flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("flags: must fit in one byte, got " + flags);
        }
        if (body.length > MAX_FRAME_SIZE - HEADER_SIZE) {
            throw new IllegalArgumentException(
                    "body: frame would be " + (body.length + HEADER_SIZE) + " bytes, max " + MAX_FRAME_SIZE);
        }
    }

    public boolean terminal() {
        return (flags & TERMINAL) != 0;
    }

    public boolean sessionStart() {
        return (flags & SESSION_START) != 0;
    }

    public boolean shutdown() {
        return (flags & SHUTDOWN) != 0;
    }

    /** Size of this frame on the wire, length prefix included. */
    public int wireSize() {
        return 4 + HEADER_SIZE + body.length;
    }

    /** The complete wire bytes, length prefix included. */
    public byte[] encode() {
        byte[] out = new byte[wireSize()];
        int len = HEADER_SIZE + body.length;
        putInt(out, 0, len);
        putInt(out, 4, id);
        out[8] = (byte) flags;
        System.arraycopy(body, 0, out, 9, body.length);
        return out;
    }

    /**
     * Decodes exactly one frame from {@code bytes} (length prefix included).
     *
     * @throws FrameException if the length is out of bounds or does not match the input
     */
    public static Frame decode(byte[] bytes) throws FrameException {
        if (bytes.length < 4) {
            throw new FrameException(FrameException.Kind.TRUNCATED, "input ends inside the length prefix");
        }
        int len = checkLength(getInt(bytes, 0));
        if (bytes.length < 4 + len) {
            throw new FrameException(FrameException.Kind.TRUNCATED,
                    "frame: len says " + len + " bytes, input has " + (bytes.length - 4));
        }
        if (bytes.length > 4 + len) {
            throw new FrameException(FrameException.Kind.TRUNCATED,
                    "frame: " + (bytes.length - 4 - len) + " bytes after the frame");
        }
        byte[] body = new byte[len - HEADER_SIZE];
        System.arraycopy(bytes, 9, body, 0, body.length);
        return new Frame(getInt(bytes, 4), bytes[8] & 0xff, body);
    }

    /**
     * Reads one frame; returns null at a clean end of stream (between frames).
     *
     * @throws FrameException if the length is out of bounds or the stream ends inside a frame
     */
    public static Frame read(InputStream in) throws IOException {
        byte[] head = new byte[9];
        int n = in.readNBytes(head, 0, 4);
        if (n == 0) {
            return null;
        }
        if (n < 4) {
            throw new FrameException(FrameException.Kind.TRUNCATED, "stream ends inside a length prefix");
        }
        int len = checkLength(getInt(head, 0));
        readFully(in, head, 4, HEADER_SIZE);
        byte[] body = new byte[len - HEADER_SIZE];
        readFully(in, body, 0, body.length);
        return new Frame(getInt(head, 4), head[8] & 0xff, body);
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        if (in.readNBytes(b, off, len) < len) {
            throw new FrameException(FrameException.Kind.TRUNCATED, "stream ends inside a frame");
        }
    }

    /** Validates a length prefix before anything is allocated for it. */
    static int checkLength(int len) throws FrameException {
        if (len < 0 || len > MAX_FRAME_SIZE) {
            throw new FrameException(FrameException.Kind.FRAME_TOO_LARGE,
                    "frame len " + Integer.toUnsignedString(len) + " exceeds max " + MAX_FRAME_SIZE);
        }
        if (len < HEADER_SIZE) {
            throw new FrameException(FrameException.Kind.FRAME_TOO_SHORT,
                    "frame len " + len + " is below the header size " + HEADER_SIZE);
        }
        return len;
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && f.id == id && f.flags == flags && java.util.Arrays.equals(f.body, body);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * id + flags) + java.util.Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(body, 0, Math.min(body.length, 32));
        return "Frame[id=" + Integer.toUnsignedString(id) + ", flags=" + flags + ", body=" + body.length + "B "
                + hex + (body.length > 32 ? "…" : "") + "]";
    }
}
