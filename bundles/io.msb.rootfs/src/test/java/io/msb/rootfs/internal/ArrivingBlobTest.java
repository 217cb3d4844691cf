package io.msb.rootfs.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a blob while the cache writes it: restarts, the rename, and a failed verification. */
class ArrivingBlobTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheWholeBlobThroughARestartedDownloadAndTheRename() throws Exception {
        byte[] data = ErofsImageBuilderTest.bytes(7, 3_000_000);
        Path blob = tmp.resolve("abc");
        Path partial = tmp.resolve("abc.partial");
        CompletableFuture<Void> verified = new CompletableFuture<>();
        Thread cache = new Thread(() -> {
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                write(out, data, 0, 1_000_000);
                // the server ignored a Range request: the cache truncates and writes everything again
                out.truncate(0);
                out.position(0);
                write(out, data, 0, data.length);
                out.force(true);
                Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
                verified.complete(null);
            } catch (IOException e) {
                verified.completeExceptionally(e);
            }
        });
        cache.start();
        byte[] got;
        try (InputStream in = new ArrivingBlob(blob, verified)) {
            got = in.readAllBytes();
        }
        cache.join();
        assertArrayEquals(data, got);
    }

    @Test
    void aFailedVerificationEndsTheStreamWithItsError() throws Exception {
        Path blob = tmp.resolve("def");
        Files.write(tmp.resolve("def.partial"), new byte[1000]);
        CompletableFuture<Void> verified = new CompletableFuture<>();
        try (InputStream in = new ArrivingBlob(blob, verified)) {
            assertEquals(1000, in.readNBytes(1000).length);
            verified.completeExceptionally(new MsbException("blob sha256:def failed verification"));
            IOException e = assertThrows(IOException.class, in::read);
            assertTrue(e.getMessage().contains("blob sha256:def failed verification"), e.getMessage());
        }
    }

    private static void write(FileChannel out, byte[] data, int from, int to) throws IOException {
        for (int off = from; off < to; off += 65536) {
            out.write(ByteBuffer.wrap(data, off, Math.min(65536, to - off)));
            Thread.yield();
        }
    }
}
