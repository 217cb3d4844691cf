package io.msb.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.MessageType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relay's resume handshake on streams that begin inside a frame of the previous connection (0233). */
class ResyncTest {
    private static final int PING = -1;
    private static final Frame READY = Codec.encode(MessageType.READY, 0, new Core.Ready(1, 2, 3, "fresh"));
    private static final Frame PONG = Codec.encode(MessageType.PONG, PING, new Core.Pong());
    private static final Frame NEXT = Codec.encode(MessageType.EXEC_STDOUT, 5, new Exec.Stdout(new byte[] { 1, 2, 3 }));

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Hands out one byte per read, as a slow socket may: every partial state of the parser is visited. */
    private static InputStream trickle(byte[] data) {
        return new FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }

    private static void assertResyncs(InputStream in, List<Frame> readies) throws IOException {
        List<Frame> seen = new ArrayList<>();
        InputStream rest = Resync.awaitPong(in, PING, seen::add);
        assertEquals(readies, seen);
        assertEquals(NEXT, Frame.read(rest), "the stream goes on exactly after the pong");
        assertEquals(null, Frame.read(rest));
    }

    @Test
    void alignedStreamAdoptsTheReadyAndSkipsStaleFrames() throws IOException {
        Frame stalePong = Codec.encode(MessageType.PONG, 7, new Core.Pong());
        byte[] data = concat(NEXT.encode(), stalePong.encode(), READY.encode(), PONG.encode(), NEXT.encode());
        assertResyncs(new ByteArrayInputStream(data), List.of(READY));
        assertResyncs(trickle(data), List.of(READY));
    }

    @Test
    void streamBeginningInsideAFrameStillFindsThePong() throws IOException {
        byte[] big = Codec.encode(MessageType.EXEC_STDOUT, 5, new Exec.Stdout(new byte[5000])).encode();
        for (int cut : new int[] { 1, 3, 4, 9, 17, 4000 }) {
            byte[] data = concat(Arrays.copyOfRange(big, cut, big.length), PONG.encode(), NEXT.encode());
            assertResyncs(trickle(data), List.of());
        }
    }

    @Test
    void aBogusLengthClaimingMoreThanWillComeDoesNotHideThePong() throws IOException {
        // a leftover whose first four bytes read as a 3 MiB frame, and then nothing more than the pong
        byte[] data = concat(new byte[] { 0, 0x30, 0, 0, 9, 9, 9 }, PONG.encode(), NEXT.encode());
        InputStream stalled = new InputStream() {
            final InputStream in = new ByteArrayInputStream(data);

            @Override
            public int read() throws IOException {
                throw new AssertionError("single-byte reads are not used");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = in.read(b, off, len);
                if (n < 0) {
                    throw new AssertionError("read past the pong: the agent would block here");
                }
                return n;
            }
        };
        InputStream rest = Resync.awaitPong(stalled, PING, f -> {
        });
        assertArrayEquals(NEXT.encode(), rest.readNBytes(NEXT.wireSize()));
    }

    @Test
    void aStreamThatEndsWithoutThePongFails() {
        byte[] data = concat(new byte[] { (byte) 0xff, 1, 2 }, READY.encode());
        assertThrows(IOException.class, () -> Resync.awaitPong(new ByteArrayInputStream(data), PING, f -> {
        }));
    }
}
