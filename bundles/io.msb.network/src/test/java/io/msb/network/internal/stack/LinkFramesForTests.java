package io.msb.network.internal.stack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** The QEMU side of the stack's link in tests: each Ethernet frame behind its 4-byte big-endian length. */
public final class LinkFramesForTests {
    private LinkFramesForTests() {
    }

    /** The next frame, or null at the end of the stream; {@code len} is a 4-byte buffer the caller reuses. */
    public static byte[] read(ReadableByteChannel link, ByteBuffer len) throws IOException {
        len.clear();
        if (!fill(link, len)) {
            return null;
        }
        ByteBuffer frame = ByteBuffer.allocate(len.getInt(0));
        return fill(link, frame) ? frame.array() : null;
    }

    /** Writes frames whole, in one write (one read for the stack); writers that share the link hold a lock. */
    public static void write(WritableByteChannel link, byte[]... frames) throws IOException {
        int total = 0;
        for (byte[] f : frames) {
            total += 4 + f.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        for (byte[] f : frames) {
            b.putInt(f.length).put(f);
        }
        b.flip();
        while (b.hasRemaining()) {
            link.write(b);
        }
    }

    private static boolean fill(ReadableByteChannel link, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (link.read(b) < 0) {
                return false;
            }
        }
        return true;
    }
}
