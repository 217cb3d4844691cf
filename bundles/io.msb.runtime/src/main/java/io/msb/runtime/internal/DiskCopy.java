package io.msb.runtime.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

/**
 * Copies of disk images (decision 1233): {@code cp --reflink=auto --sparse=always}, which shares the blocks on a
 * file system with reflinks (btrfs, XFS) and otherwise copies only the allocated ones, so a 4 GiB upper holding
 * 100 MiB costs 100 MiB; the copy is fsynced before it is published.
 */
final class DiskCopy {
    private static final int BUFFER = 1 << 20;

    private DiskCopy() {
    }

    static void copy(Path from, Path to) {
        ProcessBuilder pb = new ProcessBuilder(List.of("cp", "--reflink=auto", "--sparse=always", "--",
                from.toString(), to.toString())).redirectErrorStream(true);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0) {
                throw new UncheckedIOException(new IOException("cannot copy " + from + " to " + to + ": " + out));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from + " to " + to, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while copying " + from, e);
        }
        fsync(to);
    }

    static void fsync(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync " + file, e);
        }
    }

    static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** {@code sha256:} of the file's bytes (holes read as zeros). */
    static String sha256(Path file) {
        MessageDigest md = SnapshotManifest.digest();
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** Writes a stream to a new file, leaving holes where whole blocks of zeros come. */
    static void writeSparse(InputStream in, Path to) throws IOException {
        byte[] block = new byte[64 << 10];
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long pos = 0;
            int n;
            while ((n = in.readNBytes(block, 0, block.length)) > 0) {
                if (!zero(block, n)) {
                    ByteBuffer b = ByteBuffer.wrap(block, 0, n);
                    long at = pos;
                    while (b.hasRemaining()) {
                        at += ch.write(b, at);
                    }
                }
                pos += n;
            }
            ch.truncate(pos);
            if (ch.size() < pos) {
                ch.write(ByteBuffer.allocate(1), pos - 1); // a trailing hole: extend the file to its length
            }
        }
    }

    private static boolean zero(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
