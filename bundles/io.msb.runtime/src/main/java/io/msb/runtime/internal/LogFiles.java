package io.msb.runtime.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a sandbox's captured log (decision 1017): {@code logs/output-<generation>.jsonl}, one JSON line per
 * entry, {@code {"t":RFC 3339,"s":source,"d":text,"id":session}} as microsandbox's exec log lines. The generation is
 * in the name, so a cursor's (generation, offset) names one file and one byte in it for as long as the file is
 * kept, across restarts, and a rotated-out generation is simply absent.
 *
 * @param maxFileBytes a file is rotated before a line would take it past this size
 * @param keepFiles the newest files kept (the one being written included); older ones are deleted
 */
record LogFiles(long maxFileBytes, int keepFiles) {
    /** microsandbox's bound: 10 MiB files, the current one and three rotated (40 MiB at most). */
    static final LogFiles DEFAULTS = new LogFiles(10L << 20, 4);
    /** Longest text of one entry, in UTF-8 bytes: longer output is split over several entries. */
    static final int MAX_TEXT_BYTES = 64 * 1024;
    /** Longest line a reader accepts (text escaped as JSON is at most ~6x, plus the fields); longer is skipped. */
    static final int MAX_LINE_BYTES = 6 * MAX_TEXT_BYTES + 1024;
    private static final Pattern NAME = Pattern.compile("output-([0-9]{1,19})\\.jsonl");

    LogFiles {
        if (maxFileBytes < MAX_LINE_BYTES) {
            throw new IllegalArgumentException("log files: at least " + MAX_LINE_BYTES + " bytes each");
        }
        if (keepFiles < 1) {
            throw new IllegalArgumentException("log files: keep at least one");
        }
    }

    /** One file: its generation and path. */
    record Generation(long generation, Path path) {
    }

    /** The log directory of a sandbox directory. */
    static Path dir(Path sandboxDir) {
        return sandboxDir.resolve("logs");
    }

    static Path path(Path logDir, long generation) {
        return logDir.resolve("output-" + generation + ".jsonl");
    }

    /** The files there now, oldest first. */
    static List<Generation> list(Path logDir) {
        List<Generation> all = new ArrayList<>();
        if (!Files.isDirectory(logDir)) {
            return all;
        }
        try (Stream<Path> files = Files.list(logDir)) {
            files.forEach(p -> {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    try {
                        all.add(new Generation(Long.parseLong(m.group(1)), p));
                    } catch (NumberFormatException tooLarge) {
                        // not ours
                    }
                }
            });
        } catch (IOException e) {
            return all; // the directory went away (the sandbox was removed): no files
        }
        all.sort((a, b) -> Long.compare(a.generation(), b.generation()));
        return all;
    }

    /** Closes a log file's channel, if any; nothing is buffered in it, so a failure loses nothing. */
    static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // every write went to the file already; a reader holds nothing
            }
        }
    }
}
