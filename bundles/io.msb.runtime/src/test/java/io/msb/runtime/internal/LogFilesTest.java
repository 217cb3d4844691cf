package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The captured log's writer and reader on real files: cursors, rotation, damaged lines, following. */
class LogFilesTest {
    private static final Set<LogSource> ALL = EnumSet.allOf(LogSource.class);
    @TempDir
    Path dir;
    private final LogSignal signal = new LogSignal();

    private LogWriter writer(LogFiles limits) {
        return new LogWriter(dir, limits, signal::changed);
    }

    private LogReader reader(LogCursor from) {
        return new LogReader(dir, ALL, from, false, () -> false, signal);
    }

    private static List<LogEntry> all(LogReader r) throws InterruptedException {
        List<LogEntry> out = new ArrayList<>();
        while (!r.ended()) {
            out.addAll(r.next(7, Duration.ZERO)); // small batches: cursors must hold between them
        }
        return out;
    }

    private static List<String> texts(List<LogEntry> entries) {
        return entries.stream().map(LogEntry::text).toList();
    }

    @Test
    void entriesComeBackWithTheirSourceSessionAndACursorToResumeAfterThem() throws Exception {
        try (LogWriter w = writer(LogFiles.DEFAULTS)) {
            w.system("sandbox started");
            w.output(LogSource.STDOUT, 7, "out\n".getBytes(StandardCharsets.UTF_8));
            w.output(LogSource.STDERR, 7, "err\n".getBytes(StandardCharsets.UTF_8));
            w.output(LogSource.OUTPUT, 9, "tty\r\n".getBytes(StandardCharsets.UTF_8));
        }
        List<LogEntry> entries = all(reader(LogCursor.EMPTY));
        assertEquals(List.of("sandbox started\n", "out\n", "err\n", "tty\r\n"), texts(entries));
        assertEquals(List.of(LogSource.SYSTEM, LogSource.STDOUT, LogSource.STDERR, LogSource.OUTPUT),
                entries.stream().map(LogEntry::source).toList());
        assertNull(entries.get(0).session());
        assertEquals(7L, entries.get(1).session());
        for (int i = 0; i < entries.size(); i++) {
            LogCursor after = LogCursor.parse(entries.get(i).cursor().encode()); // as it travels in Last-Event-ID
            assertEquals(texts(entries.subList(i + 1, entries.size())), texts(all(reader(after))));
        }
        LogReader onlyStderr = new LogReader(dir, Set.of(LogSource.STDERR), LogCursor.EMPTY, false, () -> false, signal);
        assertEquals(List.of("err\n"), texts(all(onlyStderr)));
    }

    @Test
    void aRotationBetweenReadsLosesAndRepeatsNothingAndOldFilesGo() throws Exception {
        LogFiles small = new LogFiles(LogFiles.MAX_LINE_BYTES, 3);
        List<String> written = new ArrayList<>();
        LogCursor cursor = LogCursor.EMPTY;
        List<String> read = new ArrayList<>();
        try (LogWriter w = writer(small)) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 5; i++) {
                    String text = round + "." + i + ":" + "x".repeat(30_000) + "\n";
                    written.add(text);
                    w.output(LogSource.STDOUT, 1, text.getBytes(StandardCharsets.UTF_8));
                }
                // a reader that resumes from its cursor after every round, as an SSE client that reconnects
                List<LogEntry> got = all(reader(cursor));
                read.addAll(texts(got));
                cursor = got.get(got.size() - 1).cursor();
            }
        }
        assertEquals(written, read);
        List<LogFiles.Generation> files = LogFiles.list(dir);
        assertEquals(3, files.size(), "only the newest files are kept");
        for (int i = 1; i < files.size(); i++) {
            assertEquals(files.get(i - 1).generation() + 1, files.get(i).generation());
        }
        for (LogFiles.Generation g : files) {
            assertTrue(Files.size(g.path()) <= small.maxFileBytes());
        }
    }

    @Test
    void oneLargeChunkIsSpreadOverFilesWithinTheCap() throws Exception {
        LogFiles small = new LogFiles(LogFiles.MAX_LINE_BYTES, 100);
        byte[] chunk = "z".repeat(4 << 20).getBytes(StandardCharsets.UTF_8); // the largest frame's worth
        try (LogWriter w = writer(small)) {
            w.output(LogSource.STDOUT, 1, "first\n".getBytes(StandardCharsets.UTF_8));
            w.output(LogSource.STDOUT, 1, chunk);
        }
        assertTrue(LogFiles.list(dir).size() > 10);
        for (LogFiles.Generation g : LogFiles.list(dir)) {
            assertTrue(Files.size(g.path()) <= small.maxFileBytes(), g + ": " + Files.size(g.path()));
        }
        List<LogEntry> entries = all(reader(LogCursor.EMPTY));
        assertEquals("first\n", entries.get(0).text());
        assertEquals(4 << 20, entries.stream().skip(1).mapToInt(e -> e.text().length()).sum());
    }

    @Test
    void aCursorIntoARotatedOutFileGoesOnAtTheOldestKept() throws Exception {
        LogFiles small = new LogFiles(LogFiles.MAX_LINE_BYTES, 2);
        LogCursor early;
        try (LogWriter w = writer(small)) {
            w.output(LogSource.STDOUT, 1, "first\n".getBytes(StandardCharsets.UTF_8));
            early = all(reader(LogCursor.EMPTY)).get(0).cursor();
            for (int i = 0; i < 40; i++) {
                w.output(LogSource.STDOUT, 1, ("line " + i + " " + "y".repeat(60_000)).getBytes(StandardCharsets.UTF_8));
            }
        }
        List<LogEntry> rest = all(reader(early));
        assertFalse(rest.isEmpty());
        assertTrue(rest.get(rest.size() - 1).text().startsWith("line 39 "));
        assertEquals(LogFiles.list(dir).get(0).generation(), rest.get(0).cursor().first().generation());
    }

    @Test
    void damagedAndOversizedLinesAreSkippedAndTheCursorsStayExact() throws Exception {
        try (LogWriter w = writer(LogFiles.DEFAULTS)) {
            w.output(LogSource.STDOUT, 1, "before\n".getBytes(StandardCharsets.UTF_8));
        }
        Path file = LogFiles.list(dir).get(0).path();
        byte[] huge = ("{\"t\":\"2026-01-01T00:00:00Z\",\"s\":\"stdout\",\"d\":\"" + "z".repeat(LogFiles.MAX_LINE_BYTES)
                + "\"}\n").getBytes(StandardCharsets.UTF_8);
        Files.write(file, "not json at all\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        Files.write(file, huge, StandardOpenOption.APPEND);
        Files.write(file, "{\"t\":\"yesterday\",\"s\":\"stdout\",\"d\":\"bad time\"}\n{\"s\":\"kernel\"}\n"
                .getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        try (LogWriter w = writer(LogFiles.DEFAULTS)) { // a restarted runtime appends to the same file
            w.output(LogSource.STDOUT, 1, "after\n".getBytes(StandardCharsets.UTF_8));
        }
        List<LogEntry> entries = all(reader(LogCursor.EMPTY));
        assertEquals(List.of("before\n", "after\n"), texts(entries));
        assertEquals(Files.size(file), entries.get(1).cursor().first().offset());
        assertEquals(List.of("after\n"), texts(all(reader(entries.get(0).cursor()))));
    }

    @Test
    void largeOutputIsSplitIntoBoundedEntriesWithoutBreakingCharacters() throws Exception {
        String text = "é€😀".repeat(30_000); // 2, 3 and 4 byte characters
        try (LogWriter w = writer(LogFiles.DEFAULTS)) {
            w.output(LogSource.STDOUT, 1, text.getBytes(StandardCharsets.UTF_8));
            w.output(LogSource.STDOUT, 1, new byte[] {'a', (byte) 0xff, 'b'});
        }
        List<LogEntry> entries = all(reader(LogCursor.EMPTY));
        assertTrue(entries.size() > 2);
        StringBuilder joined = new StringBuilder();
        for (LogEntry e : entries.subList(0, entries.size() - 1)) {
            assertTrue(e.text().getBytes(StandardCharsets.UTF_8).length <= LogFiles.MAX_TEXT_BYTES);
            joined.append(e.text());
        }
        assertEquals(text, joined.toString());
        assertEquals("a\uFFFDb", entries.get(entries.size() - 1).text(), "the guest's bad UTF-8 is replaced");
    }

    @Test
    void aFollowerWaitsForWritesAndEndsOnceTheSandboxStoppedAndAllIsRead() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        LogReader follower = new LogReader(dir, ALL, LogCursor.EMPTY, true, running::get, signal);
        try (LogWriter w = writer(LogFiles.DEFAULTS)) {
            assertEquals(List.of(), follower.next(10, Duration.ofMillis(50)));
            assertFalse(follower.ended());
            Thread t = new Thread(() -> w.output(LogSource.STDOUT, 1, "late\n".getBytes(StandardCharsets.UTF_8)));
            t.start();
            List<LogEntry> got = new ArrayList<>();
            while (got.isEmpty()) {
                got.addAll(follower.next(10, Duration.ofSeconds(30)));
            }
            t.join();
            assertEquals(List.of("late\n"), texts(got));
            w.system("sandbox stopped");
            running.set(false);
        }
        assertEquals(List.of("sandbox stopped\n"), texts(follower.next(10, Duration.ofSeconds(30))));
        assertEquals(List.of(), follower.next(10, Duration.ofSeconds(30)));
        assertTrue(follower.ended());
    }
}
