package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserPrincipal;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Saves a running QEMU's state into a file (decision 1245): QMP {@code stop}, then {@code migrate} to a UNIX socket
 * this process listens on, copying the stream to the file. QEMU 7.2 has no {@code file:} migration, and its
 * {@code exec:} needs the spawning its seccomp filter denies, so the stream comes over a socket.
 * <p>
 * QEMU may run as another user (decision 0811) who cannot reach our directories: the socket then lives in a fresh
 * temporary directory under {@code /tmp} owned by that user. Another process of that user could connect first; the listener takes one
 * connection and closes, so QEMU's own connection then fails, and a save counts only when QEMU itself reports its
 * migration completed.
 */
final class StateSaver {
    /** The stream carries at most the guest's memory plus device state; no byte may wait longer than this. */
    private static final long STALL_MILLIS = 30_000;
    /** QEMU's own default caps a migration at 128 MiB/s, which a local file need not suffer. */
    private static final long MAX_BANDWIDTH = 1L << 40;
    private static final int BUFFER = 1 << 20;
    /**
     * Where the socket's directory goes when QEMU runs as another user: a short path every user can traverse. Not
     * {@code java.io.tmpdir}, which Karaf puts under its private data directory, too deep for a socket path besides.
     */
    private static final Path SHARED_TMP = Path.of("/tmp");

    private final Path qmpSocket;
    private final Path stateDir;
    private final String runAs;
    private final BooleanSupplier alive;

    /**
     * @param runAs the user QEMU runs as when it is not this process's, or null
     */
    StateSaver(Path qmpSocket, Path stateDir, String runAs, BooleanSupplier alive) {
        this.qmpSocket = qmpSocket;
        this.stateDir = stateDir;
        this.runAs = runAs;
        this.alive = alive;
    }

    /** Leaves the VM paused ({@code postmigrate}) with its disks flushed; returns the bytes written to {@code file}. */
    long save(Path file) throws IOException {
        Path dir = runAs == null ? null : Files.createTempDirectory(SHARED_TMP, "msb-save-");
        try {
            Path socket = (dir != null ? dir : stateDir).resolve("mig.sock");
            Files.deleteIfExists(socket);
            if (dir != null) {
                Files.setOwner(dir, owner(runAs));
            }
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                    FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    Qmp qmp = Qmp.connect(qmpSocket, System.nanoTime() + TimeUnit.SECONDS.toNanos(10), alive)) {
                server.bind(UnixDomainSocketAddress.of(socket));
                if (dir != null) {
                    Files.setOwner(socket, owner(runAs));
                }
                qmp.handshake();
                qmp.command("stop");
                qmp.command("migrate-set-parameters", "{\"max-bandwidth\":" + MAX_BANDWIDTH + "}");
                qmp.command("migrate", "{\"uri\":" + Qmp.quote("unix:" + socket) + "}");
                long written;
                try (SocketChannel in = acceptOne(server)) {
                    written = copy(in, out);
                }
                out.force(true);
                String status = awaitMigration(qmp);
                if (!status.equals("completed")) {
                    throw new IOException("QEMU's migration ended " + status + " (see logs/qemu.log)");
                }
                return written;
            } finally {
                Files.deleteIfExists(socket);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        } finally {
            if (dir != null) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private static UserPrincipal owner(String user) throws IOException {
        return java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(user);
    }

    /** The first connection; the listener closes at once so no second one is ever served. */
    private SocketChannel acceptOne(ServerSocketChannel server) throws IOException {
        server.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            server.register(selector, SelectionKey.OP_ACCEPT);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
            while (true) {
                SocketChannel c = server.accept();
                if (c != null) {
                    server.close();
                    return c;
                }
                if (System.nanoTime() > deadline || !alive.getAsBoolean()) {
                    throw new IOException("QEMU did not connect to " + server.getLocalAddress() + " to save its state");
                }
                selector.select(100);
                selector.selectedKeys().clear();
            }
        }
    }

    private long copy(SocketChannel in, FileChannel out) throws IOException {
        in.configureBlocking(false);
        ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER);
        long total = 0;
        try (Selector selector = Selector.open()) {
            in.register(selector, SelectionKey.OP_READ);
            long lastByte = System.nanoTime();
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                if (n > 0) {
                    lastByte = System.nanoTime();
                } else if (buf.position() == 0) {
                    if (System.nanoTime() - lastByte > TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
                        throw new IOException("QEMU's state stream stalled for " + STALL_MILLIS + " ms");
                    }
                    selector.select(100);
                    selector.selectedKeys().clear();
                    continue;
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    total += out.write(buf);
                }
                buf.clear();
            }
        }
        return total;
    }

    /** Polls {@code query-migrate} until it settles; returns its final status. */
    private String awaitMigration(Qmp qmp) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
        while (true) {
            String answer = qmp.command("query-migrate");
            String status = answer.contains("\"status\"") ? Qmp.statusOf(answer) : "";
            if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
                return status;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QEMU's migration did not settle in " + STALL_MILLIS + " ms: " + answer);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while QEMU saved its state", e);
            }
        }
    }
}
