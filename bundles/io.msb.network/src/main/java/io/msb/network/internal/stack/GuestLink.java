package io.msb.network.internal.stack;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The stack's end of QEMU's {@code -netdev stream} socket: QEMU listens, we connect (retrying until the
 * socket exists, and again whenever it drops). Frames are a 4-byte big-endian length and an Ethernet frame.
 * Frames to the guest wait in one bounded buffer; producers ask {@link #room} first.
 */
final class GuestLink implements EventLoop.Handler {
    private static final System.Logger LOG = System.getLogger(GuestLink.class.getName());
    /** The largest length prefix accepted; anything longer means the stream is not QEMU's framing. */
    static final int MAX_FRAME = 65536;
    static final int OUT_CAPACITY = 512 * 1024;

    interface Receiver {
        /**
         * A frame from the guest (valid until the call returns). Returns 0 if it was taken, or the
         * milliseconds to wait before offering it again (rate limit).
         */
        long frame(byte[] buf, int off, int len);

        /** Room appeared in the buffer towards the guest. */
        void writable();

        /** The frames of one read were handed over: what was held back for the batch goes out now. */
        void batchDone();
    }

    private final EventLoop loop;
    private final Path path;
    private final Receiver receiver;
    private final ByteBuffer in = ByteBuffer.allocate(4 + MAX_FRAME);
    private final Ring out = new Ring(OUT_CAPACITY);
    private SocketChannel channel;
    private SelectionKey key;
    private boolean paused;
    private long retryMillis = 20;
    private boolean closed;
    private volatile boolean connected;

    GuestLink(EventLoop loop, Path path, Receiver receiver) {
        this.loop = loop;
        this.path = path;
        this.receiver = receiver;
    }

    boolean connected() {
        return connected;
    }

    /** Loop thread. */
    void connect() {
        if (closed || channel != null) {
            return;
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.configureBlocking(false);
            boolean done = ch.connect(UnixDomainSocketAddress.of(path));
            channel = ch;
            key = loop.register(ch, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
            if (done) {
                established();
            }
        } catch (IOException e) {
            closeQuietly(ch);
            channel = null;
            retryLater();
        }
    }

    private void established() {
        connected = true;
        retryMillis = 20;
        LOG.log(System.Logger.Level.DEBUG, "network link connected: " + path);
        interest();
    }

    private void retryLater() {
        long wait = retryMillis;
        retryMillis = Math.min(1000, retryMillis * 2);
        loop.schedule(wait, this::connect);
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
        if (k.isConnectable()) {
            EventLoop.Handler.finishConnect(channel, this::established, this::drop);
            return;
        }
        if (k.isWritable()) {
            flush();
        }
        if (k.isValid() && k.isReadable()) {
            int n;
            try {
                n = channel.read(in);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                drop();
                return;
            }
            deliver();
        }
    }

    /** Hands complete frames to the receiver; stops (and pauses reading) when the receiver asks to wait. */
    private void deliver() {
        in.flip();
        while (in.remaining() >= 4) {
            int len = in.getInt(in.position());
            if (len <= 0 || len > MAX_FRAME) {
                LOG.log(System.Logger.Level.WARNING, "network link " + path + ": bad frame length " + len
                        + " (1-" + MAX_FRAME + "); reconnecting");
                in.clear();
                drop();
                return;
            }
            if (in.remaining() < 4 + len) {
                break;
            }
            long wait = receiver.frame(in.array(), in.position() + 4, len);
            if (wait > 0) {
                paused = true;
                loop.schedule(wait, this::resume);
                break;
            }
            in.position(in.position() + 4 + len);
        }
        in.compact();
        receiver.batchDone();
        interest();
    }

    private void resume() {
        paused = false;
        if (channel != null) {
            deliver();
        }
    }

    /** Bytes that can be queued towards the guest now. */
    int room() {
        return channel == null ? 0 : out.free();
    }

    /** Bytes queued towards the guest and not yet taken by QEMU. */
    int queued() {
        return channel == null ? 0 : out.size();
    }

    /** Queues a frame; the caller checked {@link #room}. Frames are dropped while no QEMU is connected. */
    void send(byte[] frame) {
        if (channel == null || out.free() < frame.length + 4) {
            return;
        }
        byte[] len = {(byte) (frame.length >>> 24), (byte) (frame.length >>> 16), (byte) (frame.length >>> 8),
            (byte) frame.length};
        out.write(len, 0, 4);
        out.write(frame, 0, frame.length);
        if (out.size() == frame.length + 4) {
            flush();
        }
    }

    private void flush() {
        int before = out.free();
        try {
            out.writeTo(channel);
        } catch (IOException e) {
            drop();
            return;
        }
        interest();
        if (out.free() > before) {
            receiver.writable();
        }
    }

    private void interest() {
        if (key == null || !key.isValid()) {
            return;
        }
        int ops = 0;
        if (!paused && in.hasRemaining()) {
            ops |= SelectionKey.OP_READ;
        }
        if (out.size() > 0) {
            ops |= SelectionKey.OP_WRITE;
        }
        key.interestOps(ops);
    }

    /** The peer went away: forget partial frames and reconnect (QEMU accepts a new client). */
    private void drop() {
        connected = false;
        closeQuietly(channel);
        channel = null;
        key = null;
        in.clear();
        out.discard(out.size());
        paused = false;
        if (!closed) {
            retryLater();
        }
    }

    @Override
    public void failed(Throwable error) {
        drop();
    }

    void close() {
        closed = true;
        connected = false;
        closeQuietly(channel);
        channel = null;
    }

    static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "close", e);
            }
        }
    }
}
