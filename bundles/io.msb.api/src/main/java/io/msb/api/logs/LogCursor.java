package io.msb.api.logs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A position in a sandbox's logs, encoded as microsandbox's {@code LogCursor}: standard base64 of
 * {@code [count u8]} and {@code count} times {@code (generation u64 LE, offset u64 LE)}. The empty cursor
 * ({@code AA==}) is the start. msb writes one position: the log file's generation and the byte offset just after
 * the entry; a longer cursor (microsandbox's own, one position per file) is read by its first position.
 *
 * @param positions at most 255
 */
public record LogCursor(List<Position> positions) {
    /** The start of the logs. */
    public static final LogCursor EMPTY = new LogCursor(List.of());
    private static final int POSITION_BYTES = 16;

    /** One file's position: its generation and the byte offset after the last entry read from it. */
    public record Position(long generation, long offset) {
    }

    public LogCursor {
        positions = List.copyOf(positions);
        if (positions.size() > 255) {
            throw new IllegalArgumentException("a log cursor holds at most 255 positions");
        }
    }

    /** A cursor of one position. */
    public static LogCursor of(long generation, long offset) {
        return new LogCursor(List.of(new Position(generation, offset)));
    }

    /** The first position, or null for the empty cursor. */
    public Position first() {
        return positions.isEmpty() ? null : positions.get(0);
    }

    /** The wire form (see the class comment). */
    public String encode() {
        ByteBuffer b = ByteBuffer.allocate(1 + positions.size() * POSITION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) positions.size());
        for (Position p : positions) {
            b.putLong(p.generation()).putLong(p.offset());
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    /** Reads the wire form; the empty string is the empty cursor, as for the SDK. */
    public static LogCursor parse(String text) {
        if (text == null || text.isEmpty()) {
            return EMPTY;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a log cursor is standard base64", e);
        }
        if (bytes.length == 0 || bytes.length != 1 + (bytes[0] & 0xff) * POSITION_BYTES) {
            throw new IllegalArgumentException("a log cursor of " + bytes.length
                    + " bytes does not match its count byte (1 + 16 per position)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1).order(ByteOrder.LITTLE_ENDIAN);
        List<Position> positions = new ArrayList<>();
        for (int i = 0; i < (bytes[0] & 0xff); i++) {
            positions.add(new Position(b.getLong(), b.getLong()));
        }
        return new LogCursor(positions);
    }

    @Override
    public String toString() {
        return encode();
    }
}
