package io.msb.api.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogCursorTest {
    @Test
    void theEmptyCursorIsTheSdksAAEqualsEquals() {
        assertEquals("AA==", LogCursor.EMPTY.encode());
        assertEquals(LogCursor.EMPTY, LogCursor.parse("AA=="));
        assertEquals(LogCursor.EMPTY, LogCursor.parse(""), "the SDK reads an empty id as the empty cursor");
        assertNull(LogCursor.EMPTY.first());
    }

    @Test
    void positionsAreLittleEndianAfterTheCountByte() {
        byte[] bytes = Base64.getDecoder().decode(LogCursor.of(0x0102030405060708L, 42).encode());
        assertEquals(17, bytes.length);
        assertEquals(1, bytes[0]);
        assertEquals(0x08, bytes[1], "generation, least significant byte first");
        assertEquals(0x01, bytes[8]);
        assertEquals(42, bytes[9], "then the offset");
        assertEquals(0, bytes[16]);
    }

    @Test
    void roundTripsSeveralPositionsAndExtremes() {
        LogCursor c = new LogCursor(List.of(new LogCursor.Position(0xdeadbeef12345678L, 42),
                new LogCursor.Position(0, 100), new LogCursor.Position(-1L, Long.MAX_VALUE)));
        assertEquals(c, LogCursor.parse(c.encode()));
        assertEquals(new LogCursor.Position(0xdeadbeef12345678L, 42), LogCursor.parse(c.encode()).first());
    }

    @Test
    void aCursorFromMicrosandboxItselfIsRead() {
        // what microsandbox's round_trip_single_position encodes: generation 42, offset 100
        byte[] wire = new byte[17];
        wire[0] = 1;
        wire[1] = 42;
        wire[9] = 100;
        assertEquals(LogCursor.of(42, 100), LogCursor.parse(Base64.getEncoder().encodeToString(wire)));
    }

    @Test
    void malformedCursorsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LogCursor.parse("not-base64!"));
        byte[] shortOne = new byte[6];
        shortOne[0] = 2;
        assertThrows(IllegalArgumentException.class,
                () -> LogCursor.parse(Base64.getEncoder().encodeToString(shortOne)), "count 2 needs 33 bytes");
        byte[] longOne = new byte[18];
        longOne[0] = 1;
        assertThrows(IllegalArgumentException.class,
                () -> LogCursor.parse(Base64.getEncoder().encodeToString(longOne)));
    }

    @Test
    void sourcesHaveMicrosandboxsWireNames() {
        assertEquals("stdout", LogSource.STDOUT.wireName());
        assertEquals(LogSource.OUTPUT, LogSource.fromWire("output"));
        assertEquals(LogSource.SYSTEM, LogSource.fromWire("system"));
        assertNull(LogSource.fromWire("STDOUT"));
        assertNull(LogSource.fromWire("kernel"));
    }
}
