package io.msb.network.internal.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Replaces byte strings in a stream that arrives in pieces of any size: a needle may be split across pieces at
 * any byte, so the tail that could still start one is held back until the next piece (or the end) decides.
 * Needles never contain one another (secrets' placeholders are checked for that). A needle whose replacement is
 * null is not replaced but reported: {@link Found} is thrown before anything from it is written.
 */
final class Replacer {
    /** A reported needle was found. */
    static final class Found extends Exception {
        private static final long serialVersionUID = 1L;
        final int needle;

        Found(int needle) {
            super(null, null, false, false);
            this.needle = needle;
        }
    }

    private final byte[][] needles;
    private final byte[][] replacements;
    private byte[] pending = new byte[0];

    Replacer(byte[][] needles, byte[][] replacements) {
        this.needles = needles;
        this.replacements = replacements;
    }

    boolean isEmpty() {
        return needles.length == 0;
    }

    /** Takes the next piece, writing what is decided to {@code out}. */
    void feed(byte[] b, int off, int len, OutputStream out) throws IOException, Found {
        if (needles.length == 0) {
            out.write(b, off, len);
            return;
        }
        byte[] buf = pending.length == 0 ? Arrays.copyOfRange(b, off, off + len) : concat(pending, b, off, len);
        int n = buf.length;
        int start = 0;
        int i = 0;
        scan:
        while (i < n) {
            for (int j = 0; j < needles.length; j++) {
                byte[] nd = needles[j];
                if (nd[0] != buf[i]) {
                    continue;
                }
                int m = Math.min(nd.length, n - i);
                if (!Arrays.equals(buf, i, i + m, nd, 0, m)) {
                    continue;
                }
                if (m < nd.length) { // a needle may start here: hold the rest back
                    out.write(buf, start, i - start);
                    pending = Arrays.copyOfRange(buf, i, n);
                    return;
                }
                if (replacements[j] == null) {
                    throw new Found(j);
                }
                out.write(buf, start, i - start);
                out.write(replacements[j]);
                i += nd.length;
                start = i;
                continue scan;
            }
            i++;
        }
        out.write(buf, start, n - start);
        pending = new byte[0];
    }

    /** The stream ended: what was held back could not start a needle after all. */
    void finish(OutputStream out) throws IOException {
        out.write(pending);
        pending = new byte[0];
    }

    private static byte[] concat(byte[] a, byte[] b, int off, int len) {
        byte[] r = Arrays.copyOf(a, a.length + len);
        System.arraycopy(b, off, r, a.length, len);
        return r;
    }
}
