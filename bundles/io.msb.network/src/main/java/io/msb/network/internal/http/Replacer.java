package io.msb.network.internal.http;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Replaces byte strings in a stream that arrives in pieces of any size: a needle may be split across pieces at
 * any byte, so the tail that could still end in one is held back until the next piece (or the end) decides.
 * Each needle is matched with its own Knuth-Morris-Pratt automaton, so a byte costs one step per needle whatever
 * the guest sends (no rescans of near-misses). Needles never contain one another (secrets' placeholders are
 * checked for that). A needle whose replacement is null is not replaced but reported: {@link Found} is thrown
 * before anything from it is written.
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
    /** Per needle, KMP's failure function: the longest proper border of each prefix. */
    private final int[][] borders;
    /** Per needle, how many of its bytes the unwritten tail ends with. */
    private final int[] matched;
    /** Bytes of earlier pieces not written yet: at most the longest needle less one. */
    private final byte[] held;
    private int heldLen;

    Replacer(byte[][] needles, byte[][] replacements) {
        this.needles = needles;
        this.replacements = replacements;
        this.borders = new int[needles.length][];
        this.matched = new int[needles.length];
        int longest = 1;
        for (int j = 0; j < needles.length; j++) {
            borders[j] = borders(needles[j]);
            longest = Math.max(longest, needles[j].length);
        }
        this.held = new byte[longest - 1];
    }

    private static int[] borders(byte[] p) {
        int[] f = new int[p.length];
        for (int i = 1, k = 0; i < p.length; i++) {
            while (k > 0 && p[i] != p[k]) {
                k = f[k - 1];
            }
            if (p[i] == p[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }

    boolean isEmpty() {
        return needles.length == 0;
    }

    /**
     * Takes the next piece, writing what is decided to {@code out}. What is not written yet is always the held
     * bytes followed by {@code b[start..i]}; it is written when a needle ends, and at the end of the piece all
     * but the tail some needle may still continue.
     */
    void feed(byte[] b, int off, int len, OutputStream out) throws IOException, Found {
        if (needles.length == 0) {
            out.write(b, off, len);
            return;
        }
        int start = off;
        for (int i = off; i < off + len; i++) {
            int found = step(b[i]);
            if (found >= 0) {
                if (replacements[found] == null) {
                    throw new Found(found);
                }
                writeAllBut(b, start, i + 1, needles[found].length, out);
                out.write(replacements[found]);
                heldLen = 0;
                start = i + 1;
            }
        }
        int keep = 0;
        for (int q : matched) {
            keep = Math.max(keep, q);
        }
        int unwrittenOfB = off + len - start;
        writeAllBut(b, start, off + len, keep, out);
        // hold back the last `keep` bytes: from held (if b's part is shorter) and from b
        int fromB = Math.min(keep, unwrittenOfB);
        int fromHeld = keep - fromB;
        System.arraycopy(held, heldLen - fromHeld, held, 0, fromHeld);
        System.arraycopy(b, off + len - fromB, held, fromHeld, fromB);
        heldLen = keep;
    }

    /** Advances every needle's automaton by one byte; the needle that just ended (all reset then), or -1. */
    private int step(byte c) {
        for (int j = 0; j < needles.length; j++) {
            byte[] nd = needles[j];
            int q = matched[j];
            while (q > 0 && nd[q] != c) {
                q = borders[j][q - 1];
            }
            if (nd[q] == c) {
                q++;
            }
            if (q == nd.length) {
                Arrays.fill(matched, 0);
                return j;
            }
            matched[j] = q;
        }
        return -1;
    }

    /** Writes the unwritten bytes (held, then {@code b[from..to)}) except their last {@code except}. */
    private void writeAllBut(byte[] b, int from, int to, int except, OutputStream out) throws IOException {
        int ofB = to - from;
        int skipB = Math.min(except, ofB);
        int skipHeld = except - skipB;
        out.write(held, 0, Math.max(0, heldLen - skipHeld));
        out.write(b, from, ofB - skipB);
    }

    /** The stream ended: what was held back could not start a needle after all. */
    void finish(OutputStream out) throws IOException {
        out.write(held, 0, heldLen);
        heldLen = 0;
        Arrays.fill(matched, 0);
    }
}
