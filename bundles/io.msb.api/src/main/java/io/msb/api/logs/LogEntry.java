package io.msb.api.logs;

import java.time.Instant;
import java.util.Objects;

/**
 * One stored log entry.
 *
 * @param source where it came from
 * @param time when the host recorded it
 * @param text what was written, decoded as UTF-8 (invalid bytes become U+FFFD)
 * @param session the exec session's correlation id; null for {@link LogSource#SYSTEM} entries
 * @param cursor the position just after this entry: reading from it continues with the next one
 */
public record LogEntry(LogSource source, Instant time, String text, Long session, LogCursor cursor) {
    public LogEntry {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(cursor, "cursor");
    }
}
