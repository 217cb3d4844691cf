package io.msb.runtime.internal;

import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.protocol.AgentRelay;
import io.msb.protocol.Exec;
import io.msb.protocol.ExecObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * The captured logs of every sandbox (decision 1017): one writer per sandbox, fed by the relay's exec observer
 * (every session's output, tagged with its correlation id) and by lifecycle markers, and readers that follow it.
 */
final class LogBook {
    /** Kernel console bytes copied into the log at one time, at most: the start of a boot, a panic. */
    static final int KERNEL_COPY_BYTES = 64 * 1024;
    private final LogFiles limits;
    private final Function<String, Path> sandboxDir;
    private final ConcurrentMap<String, Book> books = new ConcurrentHashMap<>();
    /** How far each sandbox's kernel console has been copied. */
    private final ConcurrentMap<String, Long> kernelCopied = new ConcurrentHashMap<>();

    private record Book(LogWriter writer, LogSignal signal) {
    }

    LogBook(LogFiles limits, Function<String, Path> sandboxDir) {
        this.limits = limits;
        this.sandboxDir = sandboxDir;
    }

    private Book book(String name) {
        return books.computeIfAbsent(name, n -> {
            LogSignal signal = new LogSignal();
            return new Book(new LogWriter(LogFiles.dir(sandboxDir.apply(n)), limits, signal::changed), signal);
        });
    }

    /** Records every exec session that passes through {@code relay} from now on. */
    void capture(String name, AgentRelay relay) {
        relay.observe(new Capture(book(name).writer()));
    }

    /** A lifecycle marker. */
    void system(String name, String text) {
        book(name).writer().system(text);
    }

    /** A new boot: its kernel console is copied from its start. */
    void booting(String name) {
        kernelCopied.put(name, 0L);
    }

    /** Copies the kernel console lines printed since the last copy (see {@link #copyKernelConsole}). */
    void kernelConsole(String name) {
        kernelCopied.compute(name, (n, from) -> copyKernelConsole(n, from == null ? 0 : from));
    }

    /**
     * Copies what the guest kernel printed on its console since {@code from} ({@code logs/kernel.log}, written by
     * the VMM backend) as system entries, at most {@link #KERNEL_COPY_BYTES}. Returns the new position.
     */
    private long copyKernelConsole(String name, long from) {
        Path file = LogFiles.dir(sandboxDir.apply(name)).resolve("kernel.log");
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size <= from) {
                return size < from ? 0 : from; // shorter: a new boot's file
            }
            ByteBuffer b = ByteBuffer.allocate((int) Math.min(KERNEL_COPY_BYTES, size - from));
            ch.read(b, from);
            int end = b.position();
            byte[] bytes = b.array();
            int lastNewline = end - 1;
            while (lastNewline >= 0 && bytes[lastNewline] != '\n') {
                lastNewline--;
            }
            if (lastNewline < 0) {
                return from; // a line still being printed
            }
            book(name).writer().console(Arrays.copyOf(bytes, lastNewline + 1));
            return from + lastNewline + 1;
        } catch (IOException e) {
            return from; // no console log (another backend) or not yet
        }
    }

    /** A reader of the sandbox's log; {@code running} tells a follower whether more can come. */
    LogStream open(String name, Set<LogSource> sources, LogCursor from, boolean follow, BooleanSupplier running) {
        return new LogReader(LogFiles.dir(sandboxDir.apply(name)), sources, from, follow, running, book(name).signal());
    }

    /** Lets followers look again (the sandbox stopped: they end once they have read everything). */
    void wake(String name) {
        Book b = books.get(name);
        if (b != null) {
            b.signal().changed();
        }
    }

    /** The sandbox stopped: its log file is closed until it writes again. */
    void rest(String name) {
        Book b = books.get(name);
        if (b != null) {
            b.writer().rest();
        }
    }

    /** The sandbox is removed: its writer closes and its followers end. */
    void forget(String name) {
        kernelCopied.remove(name);
        Book b = books.remove(name);
        if (b != null) {
            b.writer().close();
            b.signal().changed();
        }
    }

    void closeAll() {
        List.copyOf(books.keySet()).forEach(n -> {
            Book b = books.remove(n);
            if (b != null) {
                b.writer().close();
                b.signal().changed();
            }
        });
    }

    /** Every session's output: stdout and stderr in pipe mode, {@code output} for a terminal's single stream. */
    private static final class Capture implements ExecObserver {
        private final LogWriter writer;
        private final Set<Integer> terminals = ConcurrentHashMap.newKeySet();

        Capture(LogWriter writer) {
            this.writer = writer;
        }

        @Override
        public void started(int session, Exec.Request request) {
            if (Boolean.TRUE.equals(request.tty())) {
                terminals.add(session);
            } else {
                terminals.remove(session);
            }
        }

        @Override
        public void output(int session, boolean stderr, byte[] data) {
            LogSource source = terminals.contains(session) ? LogSource.OUTPUT : stderr ? LogSource.STDERR : LogSource.STDOUT;
            writer.output(source, Integer.toUnsignedLong(session), data);
        }

        @Override
        public void ended(int session) {
            terminals.remove(session);
        }

        @Override
        public void dropped(long bytes) {
            writer.system("log: " + bytes + " bytes of exec output were not recorded (the log writer fell behind)");
        }
    }
}
