package io.msb.image.internal;

import io.msb.api.MsbException;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Just enough tar for image archives: reads ustar, GNU long names and pax paths; writes ustar regular files.
 * Archives are untrusted, so every header field is checked.
 */
final class Tar {
    private static final int BLOCK = 512;
    private static final int MAX_LONG_NAME = 64 * 1024;

    private Tar() {
    }

    record Entry(String name, long size, char type) {
        boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    /** Reads entries in order; each entry's body is readable until the next call to {@link #next}. */
    static final class Reader {
        private final InputStream in;
        private long remaining;
        private long padding;

        Reader(InputStream in) {
            this.in = in;
        }

        Entry next() throws IOException {
            skipBody();
            String longName = null;
            while (true) {
                byte[] header = in.readNBytes(BLOCK);
                if (header.length == 0) {
                    return null;
                }
                if (header.length < BLOCK) {
                    throw new MsbException("archive is truncated inside a tar header");
                }
                if (isZero(header)) {
                    return null;
                }
                checkChecksum(header);
                char type = (char) header[156];
                long size = octal(header, 124, 12, "size");
                if (size < 0) {
                    throw new MsbException("archive tar entry has a negative size");
                }
                String name = string(header, 0, 100);
                String prefix = string(header, 345, 155);
                if (!prefix.isEmpty() && "ustar".equals(string(header, 257, 5))) {
                    name = prefix + "/" + name;
                }
                remaining = size;
                padding = (BLOCK - size % BLOCK) % BLOCK;
                if (type == 'L' || type == 'x') {
                    if (size > MAX_LONG_NAME) {
                        throw new MsbException("archive tar extended header is larger than " + MAX_LONG_NAME);
                    }
                    byte[] data = body().readAllBytes();
                    skipBody();
                    longName = type == 'L' ? string(data, 0, data.length) : paxPath(data, longName);
                    continue;
                }
                if (type == 'g') {
                    skipBody();
                    continue;
                }
                return new Entry(longName != null ? longName : name, size, type);
            }
        }

        /** The current entry's body. */
        InputStream body() {
            return new FilterInputStream(in) {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (remaining <= 0) {
                        return -1;
                    }
                    int n = in.read(b, off, (int) Math.min(len, remaining));
                    if (n < 0) {
                        throw new EOFException("archive is truncated inside an entry");
                    }
                    remaining -= n;
                    return n;
                }

                @Override
                public void close() {
                    // the archive stream stays open for the next entry
                }
            };
        }

        private void skipBody() throws IOException {
            long skip = remaining + padding;
            remaining = 0;
            padding = 0;
            while (skip > 0) {
                long n = in.skip(skip);
                if (n <= 0) {
                    if (in.read() < 0) {
                        throw new EOFException("archive is truncated inside an entry");
                    }
                    n = 1;
                }
                skip -= n;
            }
        }

        private static String paxPath(byte[] data, String previous) {
            String text = new String(data, StandardCharsets.UTF_8);
            int pos = 0;
            String path = previous;
            while (pos < text.length()) {
                int space = text.indexOf(' ', pos);
                if (space < 0) {
                    break;
                }
                int len;
                try {
                    len = Integer.parseInt(text.substring(pos, space));
                } catch (NumberFormatException e) {
                    throw new MsbException("archive pax header is malformed");
                }
                if (len <= 0 || pos + len > text.length()) {
                    throw new MsbException("archive pax header is malformed");
                }
                String record = text.substring(space + 1, pos + len - 1);
                if (record.startsWith("path=")) {
                    path = record.substring(5);
                }
                pos += len;
            }
            return path;
        }
    }

    /** Writes ustar entries; names must fit the 100-byte name field (image archives' and builtin layers' names do). */
    static final class Writer implements AutoCloseable {
        private final OutputStream out;

        Writer(OutputStream out) {
            this.out = out;
        }

        void file(String name, long size, InputStream body) throws IOException {
            entry(name, '0', 0644, "", size, body);
        }

        void directory(String name, int mode) throws IOException {
            entry(name, '5', mode, "", 0, InputStream.nullInputStream());
        }

        void symlink(String name, String target) throws IOException {
            entry(name, '2', 0777, target, 0, InputStream.nullInputStream());
        }

        /** One entry owned by root with mtime 0, so that equal content gives an equal digest. */
        void entry(String name, char type, int mode, String link, long size, InputStream body) throws IOException {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
            if (nameBytes.length > 100 || linkBytes.length > 100) {
                throw new IllegalArgumentException("tar name or link target longer than 100 bytes: " + name);
            }
            byte[] h = new byte[BLOCK];
            System.arraycopy(nameBytes, 0, h, 0, nameBytes.length);
            putOctal(h, 100, 8, mode);
            putOctal(h, 108, 8, 0);
            putOctal(h, 116, 8, 0);
            putOctal(h, 124, 12, size);
            putOctal(h, 136, 12, 0);
            h[156] = (byte) type;
            System.arraycopy(linkBytes, 0, h, 157, linkBytes.length);
            System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
            Arrays.fill(h, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            putOctal(h, 148, 7, sum);
            out.write(h);
            long copied = body.transferTo(out);
            if (copied != size) {
                throw new IOException("tar entry " + name + " changed size while writing: " + copied + " != " + size);
            }
            out.write(new byte[(int) ((BLOCK - size % BLOCK) % BLOCK)]);
        }

        void file(String name, byte[] data) throws IOException {
            file(name, data.length, new java.io.ByteArrayInputStream(data));
        }

        @Override
        public void close() throws IOException {
            out.write(new byte[2 * BLOCK]);
            out.flush();
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkChecksum(byte[] h) {
        long stored = octal(h, 148, 8, "checksum");
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
        }
        if (sum != stored) {
            throw new MsbException("archive is not a tar file (header checksum mismatch)");
        }
    }

    private static long octal(byte[] h, int off, int len, String field) {
        if ((h[off] & 0x80) != 0) { // GNU base-256 for sizes over 8 GiB
            long v = h[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xff);
            }
            return v;
        }
        String s = string(h, off, len).trim();
        if (s.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new MsbException("archive is not a tar file (header field " + field + " is not octal)");
        }
    }

    private static String string(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static void putOctal(byte[] h, int off, int len, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > len - 1) {
            throw new IllegalArgumentException("value too large for tar field: " + value);
        }
        byte[] b = ("0".repeat(len - 1 - s.length()) + s).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
        h[off + len - 1] = 0;
    }
}
