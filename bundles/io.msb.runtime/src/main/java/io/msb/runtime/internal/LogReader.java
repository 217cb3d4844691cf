package io.msb.runtime.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Reads a sandbox's captured log ({@link LogFiles}) from a cursor, across rotations. Where the cursor's generation
 * was rotated out, reading goes on at the oldest kept file (the gap is unavoidable and logged). A line that is not
 * an entry (cut short by a crash, longer than {@link LogFiles#MAX_LINE_BYTES}, not JSON) is skipped; it is the
 * file, which the guest's bytes went into, that is distrusted, not the order.
 */
final class LogReader implements LogStream {
    private static final System.Logger LOG = System.getLogger(LogReader.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BLOCK = 64 * 1024;
    /** How often a follower looks again without being told of a write (a crash or stop seen by the store). */
    static final Duration RECHECK = Duration.ofSeconds(1);

    private final Path dir;
    private final Set<LogSource> sources;
    private final boolean follow;
    private final BooleanSupplier running;
    private final LogSignal signal;
    private long generation;
    private long offset;
    private FileChannel channel;
    private final ByteBuffer block = ByteBuffer.allocate(BLOCK);
    /** Bytes of the line being assembled (starting at {@link #offset}), bounded by the line limit. */
    private byte[] pending = new byte[0];
    private int pendingLength;
    /** The current line is too long: its bytes are dropped up to its newline. */
    private boolean skipping;
    /** While {@link #skipping}: bytes of the too-long line passed over so far, beyond {@link #offset}. */
    private long skipped;
    private boolean ended;

    LogReader(Path logDir, Set<LogSource> sources, LogCursor from, boolean follow, BooleanSupplier running,
            LogSignal signal) {
        this.dir = logDir;
        this.sources = Set.copyOf(sources);
        this.follow = follow;
        this.running = running;
        this.signal = signal;
        LogCursor.Position p = from.first();
        this.generation = p == null ? -1 : p.generation();
        this.offset = p == null ? 0 : p.offset();
    }

    @Override
    public List<LogEntry> next(int max, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<LogEntry> out = new ArrayList<>();
        while (!ended) {
            long seen = signal.version();
            read(out, max);
            if (!out.isEmpty()) {
                return out;
            }
            // asked before the last read: whatever a sandbox wrote before it stopped is read then
            boolean live = follow && running.getAsBoolean();
            read(out, max);
            if (!out.isEmpty()) {
                return out;
            }
            if (!live) {
                ended = true;
                break;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            signal.await(seen, Math.min(left, RECHECK.toNanos()));
        }
        return out;
    }

    @Override
    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        closeChannel();
        ended = true;
    }

    /** Adds the entries readable now, at most {@code max}. */
    private void read(List<LogEntry> out, int max) {
        try {
            while (out.size() < max) {
                if (channel == null && !openCurrent()) {
                    return;
                }
                block.clear();
                int n = channel.read(block, offset + pendingLength + skipped);
                if (n <= 0) {
                    if (!advance()) {
                        return;
                    }
                    continue;
                }
                block.flip();
                scan(out, max);
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read the log in " + dir, e);
            closeChannel();
            ended = true;
        }
    }

    private void scan(List<LogEntry> out, int max) {
        while (block.hasRemaining() && out.size() < max) {
            int start = block.position();
            int nl = -1;
            for (int i = start; i < block.limit(); i++) {
                if (block.get(i) == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? block.limit() : nl;
            int len = end - start;
            if (!skipping && pendingLength + len > LogFiles.MAX_LINE_BYTES) {
                skipping = true;
                skipped = pendingLength;
                pendingLength = 0;
            }
            if (skipping) {
                skipped += len;
            } else {
                ensure(pendingLength + len);
                block.get(start, pending, pendingLength, len);
                pendingLength += len;
            }
            block.position(nl < 0 ? end : nl + 1);
            if (nl < 0) {
                return;
            }
            long lineEnd = offset + (skipping ? skipped : pendingLength) + 1;
            if (skipping) {
                LOG.log(Level.WARNING, "skipping a log line of more than {0} bytes in {1}", LogFiles.MAX_LINE_BYTES,
                        LogFiles.path(dir, generation));
            } else {
                LogEntry e = entry(pending, pendingLength, LogCursor.of(generation, lineEnd));
                if (e != null && sources.contains(e.source())) {
                    out.add(e);
                }
            }
            offset = lineEnd;
            pendingLength = 0;
            skipped = 0;
            skipping = false;
        }
    }

    private void ensure(int size) {
        if (pending.length < size) {
            pending = Arrays.copyOf(pending, Math.max(size, Math.min(2 * pending.length + 256,
                    LogFiles.MAX_LINE_BYTES)));
        }
    }

    /** The entry a line holds, or null for a line that is not one (logged). */
    private LogEntry entry(byte[] bytes, int length, LogCursor cursor) {
        try {
            JsonNode n = JSON.readTree(bytes, 0, length);
            LogSource source = LogSource.fromWire(n.path("s").asText(null));
            JsonNode text = n.get("d");
            String time = n.path("t").asText(null);
            if (source == null || text == null || !text.isTextual() || time == null) {
                throw new IOException("not a log entry");
            }
            Long session = n.get("id") != null && n.get("id").canConvertToLong() ? n.get("id").asLong() : null;
            return new LogEntry(source, Instant.parse(time), text.asText(), session, cursor);
        } catch (IOException | DateTimeParseException e) {
            LOG.log(Level.WARNING, "skipping a damaged log line in {0} at byte {1}: {2}",
                    LogFiles.path(dir, generation), offset, e.getMessage());
            return null;
        }
    }

    /**
     * Opens the file of the cursor's generation; or, when it is gone or the cursor is the empty one, the oldest
     * newer file from its start. False: there is nothing to read yet.
     */
    private boolean openCurrent() throws IOException {
        List<LogFiles.Generation> files = LogFiles.list(dir);
        for (LogFiles.Generation g : files) {
            if (g.generation() == generation) {
                return open(g);
            }
        }
        for (LogFiles.Generation g : files) {
            if (g.generation() > generation) {
                if (generation >= 0) {
                    LOG.log(Level.INFO, "log generation {0} of {1} was rotated out: reading on at {2}", generation,
                            dir, g.generation());
                }
                generation = g.generation();
                offset = 0;
                return open(g);
            }
        }
        if (!files.isEmpty() && generation > files.get(files.size() - 1).generation()) {
            // a cursor from the future: of another sandbox of the same name, or edited; start over
            generation = -1;
            offset = 0;
            return openCurrent();
        }
        return false;
    }

    private boolean open(LogFiles.Generation g) throws IOException {
        try {
            channel = FileChannel.open(g.path(), StandardOpenOption.READ);
            return true;
        } catch (NoSuchFileException rotatedJustNow) {
            return false;
        }
    }

    /**
     * At the end of the current file: moves to the next generation if there is one (whatever is left unfinished in
     * this file was cut short by a crash and is dropped). False: this is the newest file, wait for more.
     */
    private boolean advance() {
        for (LogFiles.Generation g : LogFiles.list(dir)) {
            if (g.generation() > generation) {
                closeChannel();
                generation = g.generation();
                offset = 0;
                pendingLength = 0;
                skipped = 0;
                skipping = false;
                return true;
            }
        }
        return false;
    }

    private void closeChannel() {
        LogFiles.close(channel);
        channel = null;
    }
}
