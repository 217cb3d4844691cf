package io.msb.protocol.internal;

import io.msb.protocol.Frame;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Finds the pong of a resynchronising ping on an agent stream that may begin inside a frame (decision 0233):
 * when a host reconnects to a VM's port, bytes of a frame that QEMU had partly handed to the previous
 * connection can come first. Frames are parsed while they are whole and decode; once one does not, the stream
 * is known to be misaligned and only the pong is looked for, byte by byte. The pong is looked for byte by byte
 * in aligned mode too, so a bogus length prefix that claims bytes which will never come cannot hide it.
 */
public final class Resync {
    /** Longest pong taken: its payload is an empty map; room for a peer's extra fields. */
    private static final int PONG_MAX = 256;
    /** len + id + flags. */
    private static final int HEAD = 9;

    private byte[] buf = new byte[64 * 1024];
    private int len;
    private boolean aligned = true;
    /** Next offset at which the pong signature is looked for. */
    private int scanFrom;

    private Resync() {
    }

    /**
     * Reads {@code in} up to and including the core.pong with id {@code pingId}; {@code ready} gets each
     * core.ready frame parsed on the way (aligned part only).
     *
     * @return the stream positioned just after the pong
     * @throws IOException if the stream ends first
     */
    public static InputStream awaitPong(InputStream in, int pingId, Consumer<Frame> ready) throws IOException {
        return new Resync().run(in, pingId, ready);
    }

    private InputStream run(InputStream in, int pingId, Consumer<Frame> ready) throws IOException {
        while (true) {
            while (aligned && len >= 4) {
                int flen = getInt(0);
                if (flen < Frame.HEADER_SIZE || flen > Frame.MAX_FRAME_SIZE) {
                    aligned = false;
                } else if (len < 4 + flen) {
                    break;
                } else {
                    Frame f = frameAt(0, flen);
                    Message m = decode(f);
                    if (m == null) {
                        aligned = false;
                    } else {
                        consume(4 + flen);
                        if (m.type() == MessageType.PONG && f.id() == pingId) {
                            return rest(in);
                        }
                        if (m.type() == MessageType.READY) {
                            ready.accept(f);
                        }
                    }
                }
            }
            for (; scanFrom + HEAD <= len; scanFrom++) {
                int flen = getInt(scanFrom);
                if (getInt(scanFrom + 4) != pingId || buf[scanFrom + 8] != Frame.TERMINAL
                        || flen < Frame.HEADER_SIZE || flen > PONG_MAX) {
                    continue;
                }
                if (len < scanFrom + 4 + flen) {
                    break; // a candidate whose body has not fully arrived
                }
                Message m = decode(frameAt(scanFrom, flen));
                if (m != null && m.type() == MessageType.PONG) {
                    consume(scanFrom + 4 + flen);
                    return rest(in);
                }
            }
            if (!aligned) {
                consume(scanFrom); // what was scanned is of no more use
            }
            if (len == buf.length) {
                buf = Arrays.copyOf(buf, Math.min(buf.length * 2, Frame.MAX_FRAME_SIZE + 4));
            }
            int n = in.read(buf, len, buf.length - len);
            if (n < 0) {
                throw new IOException("relay: agent closed before answering the resume ping");
            }
            len += n;
        }
    }

    private InputStream rest(InputStream in) {
        return len == 0 ? in : new SequenceInputStream(new ByteArrayInputStream(buf, 0, len), in);
    }

    private Frame frameAt(int off, int flen) {
        return new Frame(getInt(off + 4), buf[off + 8] & 0xff, Arrays.copyOfRange(buf, off + HEAD, off + 4 + flen));
    }

    private static Message decode(Frame f) {
        try {
            Message m = Codec.decode(f);
            if (m.type() != null) {
                Codec.validate(m); // a known type with other flags: not a frame boundary
            }
            return m;
        } catch (ProtocolException e) {
            return null;
        }
    }

    private void consume(int n) {
        System.arraycopy(buf, n, buf, 0, len - n);
        len -= n;
        scanFrom = Math.max(0, scanFrom - n);
    }

    private int getInt(int off) {
        return (buf[off] & 0xff) << 24 | (buf[off + 1] & 0xff) << 16 | (buf[off + 2] & 0xff) << 8 | buf[off + 3] & 0xff;
    }
}
