package io.msb.runtime.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.msb.api.logs.LogSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends entries to a sandbox's captured log ({@link LogFiles}), rotating by size. Thread-safe: the relay's
 * observer thread writes output, lifecycle code writes markers; each entry is one write of whole lines. Text is
 * bounded per entry ({@link LogFiles#MAX_TEXT_BYTES}) and decoded leniently (bad UTF-8 becomes U+FFFD): it is the
 * guest's. A failing disk costs entries (logged once per file), never the caller.
 */
final class LogWriter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LogWriter.class.getName());
    private static final JsonFactory JSON = new JsonFactory();
    private final Path dir;
    private final LogFiles limits;
    private final Runnable appended;
    private FileChannel channel;
    private long generation;
    private long size;
    private boolean failed;
    private boolean closed;

    /** @param appended run after every write, so that followers look again */
    LogWriter(Path logDir, LogFiles limits, Runnable appended) {
        this.dir = logDir;
        this.limits = limits;
        this.appended = appended;
    }

    /** Output of an exec session, split into entries of bounded size. */
    void output(LogSource source, long session, byte[] data) {
        write(source, session, data);
    }

    /** A lifecycle marker; a newline is added when missing, so a terminal shows it on a line of its own. */
    void system(String text) {
        write(LogSource.SYSTEM, null, (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Lines the guest kernel printed on its console, as system entries. */
    void console(byte[] lines) {
        write(LogSource.SYSTEM, null, lines);
    }

    private void write(LogSource source, Long session, byte[] data) {
        String time = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
        List<byte[]> lines = new ArrayList<>();
        int at = 0;
        do {
            int end = splitPoint(data, at);
            lines.add(line(time, source, session, decode(data, at, end)));
            at = end;
        } while (at < data.length);
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                append(lines);
                failed = false;
            } catch (IOException e) {
                if (!failed) {
                    LOG.log(Level.WARNING, "cannot write the log in " + dir + ": entries are lost until it works", e);
                }
                failed = true;
                closeChannel();
            }
        }
        appended.run();
    }

    /** Closes the file until the next write (a stopped sandbox holds no descriptor). */
    synchronized void rest() {
        closeChannel();
    }

    /** Where the entry starting at {@code from} ends: at most the bound, never inside a UTF-8 sequence. */
    static int splitPoint(byte[] data, int from) {
        int end = Math.min(data.length, from + LogFiles.MAX_TEXT_BYTES);
        if (end == data.length) {
            return end;
        }
        int back = end;
        while (back > from && end - back < 3 && (data[back] & 0xC0) == 0x80) {
            back--; // data[back] continues a sequence: end before the byte that starts it
        }
        return back > from && (data[back] & 0xC0) != 0x80 ? back : end;
    }

    private static String decode(byte[] data, int from, int to) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(data, from, to - from))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException(e); // REPLACE never throws
        }
    }

    private static byte[] line(String time, LogSource source, Long session, String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 96);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("t", time);
            g.writeStringField("s", source.wireName());
            g.writeStringField("d", text);
            if (session != null) {
                g.writeNumberField("id", session);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // in memory
        }
        out.write('\n');
        return out.toByteArray();
    }

    /** Whole lines, as few writes as the size limit allows: a line never straddles two files. */
    private void append(List<byte[]> lines) throws IOException {
        if (channel == null) {
            open();
        }
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (byte[] line : lines) {
            if (size + batch.size() > 0 && size + batch.size() + line.length > limits.maxFileBytes()) {
                flush(batch);
                if (size > 0) {
                    rotate();
                }
            }
            batch.write(line, 0, line.length);
        }
        flush(batch);
    }

    private void flush(ByteArrayOutputStream batch) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(batch.toByteArray());
        while (b.hasRemaining()) {
            channel.write(b);
        }
        size += batch.size();
        batch.reset();
    }

    /**
     * Continues the newest file, or starts the first generation at the current time in milliseconds: a sandbox
     * made again under the same name then never reuses the generations of the one before, so an old cursor cannot
     * point into new files.
     */
    private void open() throws IOException {
        Files.createDirectories(dir);
        List<LogFiles.Generation> files = LogFiles.list(dir);
        if (files.isEmpty()) {
            start(System.currentTimeMillis());
        } else {
            LogFiles.Generation newest = files.get(files.size() - 1);
            generation = newest.generation();
            channel = FileChannel.open(newest.path(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            size = channel.size();
        }
    }

    private void rotate() throws IOException {
        closeChannel();
        start(generation + 1);
        List<LogFiles.Generation> files = LogFiles.list(dir);
        for (int i = 0; i < files.size() - limits.keepFiles(); i++) {
            Files.deleteIfExists(files.get(i).path()); // a reader that has it open reads on; the name is free
        }
    }

    private void start(long gen) throws IOException {
        generation = gen;
        channel = FileChannel.open(LogFiles.path(dir, gen), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        size = channel.size();
    }

    private void closeChannel() {
        LogFiles.close(channel);
        channel = null;
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeChannel();
    }
}
