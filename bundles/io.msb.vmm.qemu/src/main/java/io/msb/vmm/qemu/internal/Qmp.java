package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Just enough of the QEMU Machine Protocol to know that QEMU is up: its monitor answers only from the main
 * loop, which starts after the machine (kernel, initramfs, devices) is fully built, so an answer to
 * {@code query-status} means every startup error is behind us, and end-of-file means QEMU gave up. Also
 * {@code stop}/{@code cont} for pause and resume (decision 1220), and {@code migrate} for saving a VM's state
 * (decision 1245).
 */
final class Qmp implements AutoCloseable {
    private static final int MAX_LINE = 64 * 1024;

    private final SocketChannel ch;
    private final Selector selector;
    private final long deadline;
    private final ByteBuffer in = ByteBuffer.allocate(MAX_LINE);

    private Qmp(SocketChannel ch, long deadlineNanos) throws IOException {
        this.ch = ch;
        this.deadline = deadlineNanos;
        ch.configureBlocking(false);
        selector = Selector.open();
        ch.register(selector, SelectionKey.OP_READ);
    }

    /**
     * Retries a refused connection while {@code keepTrying} holds: QEMU binds the socket file a moment before it
     * listens on it. {@code deadlineNanos} bounds the connection and every later read.
     */
    static Qmp connect(Path socket, long deadlineNanos, BooleanSupplier keepTrying) throws IOException {
        while (true) {
            try {
                return new Qmp(SocketChannel.open(UnixDomainSocketAddress.of(socket)), deadlineNanos);
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadlineNanos || !keepTrying.getAsBoolean()) {
                    throw e;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while connecting to QEMU's monitor", ie);
                }
            }
        }
    }

    /** Negotiates capabilities and returns the VM's run state, e.g. {@code running}. */
    String handshakeAndStatus() throws IOException {
        handshake();
        return status();
    }

    /** Reads the greeting and leaves negotiation mode: commands may follow. */
    void handshake() throws IOException {
        readMessage(); // greeting
        command("qmp_capabilities");
    }

    /** The VM's run state from {@code query-status}: {@code running}, {@code paused} (after {@code stop}), … */
    String status() throws IOException {
        return statusOf(command("query-status"));
    }

    /** The {@code status} string of a QMP answer ({@code query-status}, {@code query-migrate}). */
    static String statusOf(String answer) throws IOException {
        int i = answer.indexOf("\"status\"");
        if (i < 0) {
            throw new IOException("unexpected QMP answer: " + answer);
        }
        int q1 = answer.indexOf('"', answer.indexOf(':', i) + 1);
        int q2 = answer.indexOf('"', q1 + 1);
        return q1 < 0 || q2 < 0 ? "" : answer.substring(q1 + 1, q2);
    }

    /** Sends a command without arguments and returns its answer, skipping asynchronous events. */
    String command(String name) throws IOException {
        return command(name, null);
    }

    /**
     * Sends a command and returns its answer, skipping asynchronous events.
     *
     * @param arguments the JSON object of its arguments, or null for none
     */
    String command(String name, String arguments) throws IOException {
        String json = "{\"execute\":\"" + name + "\"" + (arguments == null ? "" : ",\"arguments\":" + arguments) + "}\n";
        ByteBuffer out = ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            ch.write(out);
        }
        while (true) {
            String msg = readMessage();
            if (msg.contains("\"error\"")) {
                throw new IOException("QMP " + name + " failed: " + msg);
            }
            if (msg.contains("\"return\"")) {
                return msg;
            }
        }
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private String readMessage() throws IOException {
        while (true) {
            for (int i = 0; i < in.position(); i++) {
                if (in.get(i) == '\n') {
                    String line = new String(in.array(), 0, i, StandardCharsets.UTF_8);
                    in.flip().position(i + 1);
                    in.compact();
                    return line;
                }
            }
            if (!in.hasRemaining()) {
                throw new IOException("QMP message longer than " + MAX_LINE + " bytes");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("QEMU's monitor did not answer in time");
            }
            selector.select(Math.max(1, left / 1_000_000));
            if (ch.read(in) < 0) {
                throw new IOException("QEMU closed its monitor");
            }
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        ch.close();
    }
}
