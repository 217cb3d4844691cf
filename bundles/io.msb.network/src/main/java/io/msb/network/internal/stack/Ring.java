package io.msb.network.internal.stack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A bounded byte ring buffer: the only kind of buffer a flow has, so memory per flow is bounded by its
 * capacity. The backing array is allocated when bytes arrive, grows by doubling up to the capacity and is
 * dropped whenever the ring empties, so an idle flow holds no buffer memory.
 */
final class Ring {
    static final int INITIAL = 16 * 1024;
    private final int capacity;
    private byte[] data;
    private int head;
    private int size;

    Ring(int capacity) {
        this.capacity = capacity;
    }

    int size() {
        return size;
    }

    int free() {
        return capacity - size;
    }

    int capacity() {
        return capacity;
    }

    /** Makes the backing array hold at least {@code need} bytes (need <= capacity). */
    private void ensure(int need) {
        int len = data == null ? 0 : data.length;
        if (need <= len) {
            return;
        }
        int n = Math.max(Math.min(INITIAL, capacity), len);
        while (n < need) {
            n = Math.min(capacity, n * 2);
        }
        byte[] bigger = new byte[n];
        if (size > 0) {
            peek(0, bigger, 0, size);
        }
        data = bigger;
        head = 0;
    }

    /** Appends up to {@code len} bytes; returns how many fitted. */
    int write(byte[] src, int off, int len) {
        int n = Math.min(len, free());
        if (n == 0) {
            return 0;
        }
        ensure(size + n);
        int tail = (head + size) % data.length;
        int first = Math.min(n, data.length - tail);
        System.arraycopy(src, off, data, tail, first);
        System.arraycopy(src, off + first, data, 0, n - first);
        size += n;
        return n;
    }

    /** Reads from a channel into the free space: bytes read, or -1 at end of stream. */
    int readFrom(ReadableByteChannel ch) throws IOException {
        int total = 0;
        while (free() > 0) {
            if (data == null || size == data.length) {
                ensure(Math.min(capacity, size + Math.max(INITIAL, size)));
            }
            int tail = (head + size) % data.length;
            int room = Math.min(data.length - size, data.length - tail);
            int n = ch.read(ByteBuffer.wrap(data, tail, room));
            if (n < 0) {
                release();
                return total == 0 ? -1 : total;
            }
            size += n;
            total += n;
            if (n < room) {
                break;
            }
        }
        release();
        return total;
    }

    /** Writes buffered bytes to a channel and drops what was written; returns the count. */
    int writeTo(WritableByteChannel ch) throws IOException {
        int total = 0;
        while (size > 0) {
            int run = Math.min(size, data.length - head);
            int n = ch.write(ByteBuffer.wrap(data, head, run));
            discard(n);
            total += n;
            if (n < run) {
                break;
            }
        }
        return total;
    }

    /** Copies {@code len} bytes starting {@code offset} bytes after the head, without consuming them. */
    void peek(int offset, byte[] dst, int dstOff, int len) {
        if (len == 0) {
            return;
        }
        int start = (head + offset) % data.length;
        int first = Math.min(len, data.length - start);
        System.arraycopy(data, start, dst, dstOff, first);
        System.arraycopy(data, 0, dst, dstOff + first, len - first);
    }

    void discard(int n) {
        if (n == 0) {
            return;
        }
        head = (head + n) % data.length;
        size -= n;
        release();
    }

    private void release() {
        if (size == 0) {
            data = null;
            head = 0;
        }
    }
}
