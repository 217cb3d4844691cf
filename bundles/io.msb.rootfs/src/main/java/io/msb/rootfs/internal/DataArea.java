package io.msb.rootfs.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data blocks of an image being written. Layer readers running in parallel reserve contiguous block
 * ranges and write file data into them at once, so no layer is ever unpacked to disk; the metadata goes
 * after the last data block when the tree is complete. Block 0 holds the superblock.
 */
final class DataArea {
    static final int BLOCK = 4096;
    static final int BLOCK_BITS = 12;

    private final FileChannel out;
    private final AtomicLong nextBlock = new AtomicLong(1);

    DataArea(FileChannel out) {
        this.out = out;
    }

    /** Reserves {@code blocks} consecutive blocks and returns the first. */
    long reserve(long blocks) {
        return nextBlock.getAndAdd(blocks);
    }

    /** The first block not yet reserved. */
    long end() {
        return nextBlock.get();
    }

    /**
     * Writes {@code len} bytes at byte {@code pos}. Whole zero blocks are skipped so that they stay holes
     * in the sparse image file: they read back as zeros and cost no disk.
     */
    void write(long pos, byte[] buf, int off, int len) {
        try {
            int done = 0;
            while (done < len) {
                int n = Math.min(BLOCK, len - done);
                if (n == BLOCK && isZero(buf, off + done, n)) {
                    done += n;
                    continue;
                }
                // coalesce the run of non-zero blocks into one write
                int runEnd = done + n;
                while (runEnd < len) {
                    int m = Math.min(BLOCK, len - runEnd);
                    if (m == BLOCK && isZero(buf, off + runEnd, m)) {
                        break;
                    }
                    runEnd += m;
                }
                writeFully(ByteBuffer.wrap(buf, off + done, runEnd - done), pos + done);
                done = runEnd;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the image failed", e);
        }
    }

    void writeFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += out.write(b, pos);
        }
    }

    private static boolean isZero(byte[] b, int off, int len) {
        // a mismatch search is vectorised by the JIT
        return java.util.Arrays.mismatch(b, off, off + len, ZERO, 0, len) < 0;
    }

    private static final byte[] ZERO = new byte[BLOCK];
}
