package io.msb.protocol;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Jazzer target: bytes as they arrive from the guest's agent channel. Frames are read one after the other (as the
 * client's reader does), each envelope decoded, validated and its payload decoded into the type's class. The only
 * acceptable failures are FrameException and ProtocolException; a frame that is read must encode back to the
 * bytes it came from, and an accepted payload must survive encode → decode → encode unchanged.
 */
public final class FrameFuzz {
    private FrameFuzz() {
    }

    public static void fuzzerTestOneInput(byte[] data) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(data);
        int at = 0;
        for (int i = 0; i < 64; i++) {
            Frame f;
            try {
                f = Frame.read(in);
            } catch (FrameException expected) {
                return;
            }
            if (f == null) {
                return;
            }
            byte[] again = f.encode();
            if (!Arrays.equals(again, 0, again.length, data, at, at + again.length)) {
                throw new IllegalStateException("frame does not encode back to its bytes: " + f);
            }
            at += again.length;
            PayloadFuzz.decode(f);
        }
    }
}
