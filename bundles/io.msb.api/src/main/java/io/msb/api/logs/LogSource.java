package io.msb.api.logs;

import java.util.Locale;

/** Where a log entry came from, with microsandbox's names on the wire. */
public enum LogSource {
    /** An exec session's standard output (pipe mode). */
    STDOUT,
    /** An exec session's standard error (pipe mode). */
    STDERR,
    /** An exec session's terminal output (pty mode: one stream). */
    OUTPUT,
    /** Lifecycle markers (started, stopped, boot failures) and the guest kernel's console. */
    SYSTEM;

    /** The lower-case wire name: {@code stdout}, {@code stderr}, {@code output}, {@code system}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The source with that wire name, or null. */
    public static LogSource fromWire(String name) {
        for (LogSource s : values()) {
            if (s.wireName().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
