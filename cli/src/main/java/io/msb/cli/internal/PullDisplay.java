package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What {@code msb pull} shows of the server's progress events (decision 1040): bars redrawn in place on a terminal
 * ({@link BarDisplay}), one plain line per layer start and finish otherwise ({@link LineDisplay}).
 */
interface PullDisplay {
    /** One event of the stream: {@code resolving}, {@code resolved}, {@code layer}, {@code materializing}. */
    void event(JsonNode event);

    /** The pull ended with {@code image}; prints the summary. */
    void complete(JsonNode image);

    /** The pull was interrupted or failed: leaves the terminal on a fresh line. */
    void abandon();
}
