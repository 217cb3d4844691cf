package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.protocol.Frame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent WebSocket follows frame headers in a byte stream cut anywhere, without reading bodies. */
class FrameHeadsTest {
    private static byte[] stream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new Frame(7, Frame.SESSION_START, new byte[] {1, 2, 3}).encode());
        out.writeBytes(new Frame(-2, Frame.TERMINAL, new byte[0]).encode());
        out.writeBytes(new Frame(9, 0, new byte[70_000]).encode());
        out.writeBytes(new Frame(7, Frame.TERMINAL, new byte[] {4}).encode());
        return out.toByteArray();
    }

    private static final List<String> EXPECTED = List.of("7/2", "4294967294/1", "9/0", "7/1");

    @Test
    void everyHeaderIsSeenWhereverTheStreamIsCut() {
        byte[] bytes = stream();
        for (int cut = 0; cut <= bytes.length; cut += cut < 40 ? 1 : 997) {
            FrameHeads heads = new FrameHeads();
            List<String> seen = new ArrayList<>();
            FrameHeads.Sink sink = (id, flags) -> seen.add(Integer.toUnsignedString(id) + "/" + flags);
            assertTrue(heads.feed(bytes, 0, cut, sink));
            assertTrue(heads.feed(bytes, cut, bytes.length - cut, sink));
            assertEquals(EXPECTED, seen, "cut at " + cut);
        }
    }

    @Test
    void byteByByteToo() {
        byte[] bytes = stream();
        FrameHeads heads = new FrameHeads();
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            assertTrue(heads.feed(bytes, i, 1, (id, flags) -> seen.add(Integer.toUnsignedString(id) + "/" + flags)));
        }
        assertEquals(EXPECTED, seen);
    }

    @Test
    void aLengthOutOfRangeEndsTheStream() {
        List<String> seen = new ArrayList<>();
        FrameHeads.Sink sink = (id, flags) -> seen.add(id + "/" + flags);
        byte[] tooShort = {0, 0, 0, 4, 0, 0, 0, 1, 0};
        FrameHeads heads = new FrameHeads();
        assertFalse(heads.feed(tooShort, 0, tooShort.length, sink));
        assertFalse(heads.feed(stream(), 0, 20, sink), "nothing more once broken");
        byte[] tooLong = {0, 0x40, 0, 6, 0, 0, 0, 1, 0};
        assertFalse(new FrameHeads().feed(tooLong, 0, tooLong.length, sink));
        byte[] negative = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0, 0, 1, 0};
        assertFalse(new FrameHeads().feed(negative, 0, negative.length, sink));
        assertEquals(List.of(), seen);
    }
}
