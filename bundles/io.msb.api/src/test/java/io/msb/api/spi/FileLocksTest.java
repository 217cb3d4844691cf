package io.msb.api.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLocksTest {
    @TempDir
    Path dir;

    /**
     * This process holds X and waits for Y; a child process holds Y and waits for X; then each holder releases.
     * Blocking fcntl locks refuse the second wait at once ("Resource deadlock avoided"): the kernel sees two
     * processes waiting for each other. Both waits must succeed instead.
     */
    @Test
    void aWaitThatLooksCircularBetweenProcessesSucceeds() throws Exception {
        Path x = dir.resolve("x.lock");
        Path y = dir.resolve("y.lock");
        try (FileChannel xChannel = open(x)) {
            FileLock held = FileLocks.lock(xChannel);
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), HoldYWaitX.class.getName(), x.toString(),
                    y.toString()).redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                assertEquals("holding y, waiting for x", out.readLine());
                CompletableFuture<Void> gotY = CompletableFuture.runAsync(() -> {
                    try (FileChannel yChannel = open(y); FileLock lock = FileLocks.lock(yChannel)) {
                        // got it once the child let go
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(200); // the child waits for x and this process for y: the circle blocking locks refuse
                held.release();
                assertEquals("got x", out.readLine());
                gotY.get(60, TimeUnit.SECONDS);
                assertEquals(0, child.waitFor());
            } finally {
                child.destroyForcibly();
            }
        }
    }

    static FileChannel open(Path file) throws java.io.IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    /** The child process: holds y in one thread while another waits for x, then lets go of both. */
    public static final class HoldYWaitX {
        public static void main(String[] args) throws Exception {
            try (FileChannel y = open(Path.of(args[1])); FileLock yLock = FileLocks.lock(y)) {
                System.out.println("holding y, waiting for x");
                System.out.flush();
                Thread waiter = new Thread(() -> {
                    try (FileChannel x = open(Path.of(args[0])); FileLock xLock = FileLocks.lock(x)) {
                        System.out.println("got x");
                        System.out.flush();
                    } catch (Exception e) {
                        e.printStackTrace(System.out);
                        System.exit(1);
                    }
                });
                waiter.start();
                waiter.join();
            }
        }
    }
}
