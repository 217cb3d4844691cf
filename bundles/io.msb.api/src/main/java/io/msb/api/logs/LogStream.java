package io.msb.api.logs;

import java.time.Duration;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A sandbox's stored log entries from a cursor on, followed while the sandbox runs. Not thread-safe: one reader
 * at a time.
 */
@ProviderType
public interface LogStream extends AutoCloseable {
    /**
     * The next entries of the chosen sources, at most {@code max}; waits up to {@code wait} while there are none
     * yet. Empty: nothing new in that time, or {@link #ended()}.
     */
    List<LogEntry> next(int max, Duration wait) throws InterruptedException;

    /** True once the sandbox is not running and every entry it wrote has been returned. */
    boolean ended();

    @Override
    void close();
}
