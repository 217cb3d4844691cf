package io.msb.http.internal;

import io.msb.protocol.Frame;

/**
 * Follows the frame headers ({@code [len u32 BE][id u32 BE][flags u8]}) of an agent protocol byte stream that
 * arrives cut anywhere, skipping bodies unread, and hands each frame's id and flags on. The agent WebSocket uses it
 * to know which sessions of a connection are open (decision 1016); it never buffers more than one header.
 */
final class FrameHeads {
    /** Receives the header of each frame as soon as its nine bytes are in. */
    interface Sink {
        void frame(int id, int flags);
    }

    private static final int HEAD = 4 + Frame.HEADER_SIZE;
    private final byte[] head = new byte[HEAD];
    private int have;
    private long bodyLeft;
    private boolean broken;

    /**
     * Reads {@code len} more bytes of the stream. Returns false once a length is out of range ({@code < 5} or above
     * {@link Frame#MAX_FRAME_SIZE}): the stream is not frames, and nothing more is reported.
     */
    boolean feed(byte[] bytes, int off, int len, Sink sink) {
        int i = off;
        int end = off + len;
        while (i < end && !broken) {
            if (bodyLeft > 0) {
                int n = (int) Math.min(bodyLeft, end - i);
                bodyLeft -= n;
                i += n;
                continue;
            }
            head[have++] = bytes[i++];
            if (have == HEAD) {
                have = 0;
                int length = intAt(0);
                if (length < Frame.HEADER_SIZE || length > Frame.MAX_FRAME_SIZE) {
                    broken = true;
                } else {
                    bodyLeft = length - Frame.HEADER_SIZE;
                    sink.frame(intAt(4), head[8] & 0xff);
                }
            }
        }
        return !broken;
    }

    private int intAt(int at) {
        return (head[at] & 0xff) << 24 | (head[at + 1] & 0xff) << 16 | (head[at + 2] & 0xff) << 8 | head[at + 3] & 0xff;
    }
}
