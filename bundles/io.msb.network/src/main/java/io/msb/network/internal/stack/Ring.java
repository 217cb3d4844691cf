package io.msb.network.internal.stack;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** A bounded byte ring buffer: the only kind of buffer a flow has, so memory per flow is fixed. */
final class Ring {
    private final byte[] data;
    private int head;
    private int size;

    Ring(int capacity) {
        data = new byte[capacity];
    }

    int size() {
        return size;
    }

    int free() {
        return data.length - size;
    }

    int capacity() {
        return data.length;
    }

    /** Appends up to {@code len} bytes; returns how many fitted. */
    int write(byte[] src, int off, int len) {
        int n = Math.min(len, free());
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
            int tail = (head + size) % data.length;
            int room = Math.min(free(), data.length - tail);
            int n = ch.read(ByteBuffer.wrap(data, tail, room));
            if (n < 0) {
                return total == 0 ? -1 : total;
            }
            size += n;
            total += n;
            if (n < room) {
                break;
            }
        }
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
        int start = (head + offset) % data.length;
        int first = Math.min(len, data.length - start);
        System.arraycopy(data, start, dst, dstOff, first);
        System.arraycopy(data, 0, dst, dstOff + first, len - first);
    }

    void discard(int n) {
        head = (head + n) % data.length;
        size -= n;
        if (size == 0) {
            head = 0;
        }
    }
}
