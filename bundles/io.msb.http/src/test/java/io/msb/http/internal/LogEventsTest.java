package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class LogEventsTest {
    @Test
    void anEntryIsOneLogEventWithItsCursorAsIdAndOneDataLine() throws Exception {
        LogEntry e = new LogEntry(LogSource.STDERR, Instant.parse("2026-12-06T09:00:00.120Z"), "two\nlines \"quoted\"\n",
                7L, LogCursor.of(1733476549000L, 512));
        String text = new String(LogEvents.event(e), StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\n\n"), "an event ends with a blank line");
        String[] lines = text.substring(0, text.length() - 2).split("\n", -1);
        assertEquals(3, lines.length, text);
        assertEquals("event: log", lines[0]);
        assertEquals("id: " + LogCursor.of(1733476549000L, 512).encode(), lines[1]);
        assertTrue(lines[2].startsWith("data: "));
        JsonNode data = new ObjectMapper().readTree(lines[2].substring(6));
        assertEquals("stderr", data.get("source").asText());
        assertEquals("2026-12-06T09:00:00.120Z", data.get("ts").asText());
        assertEquals("two\nlines \"quoted\"\n", data.get("text").asText());
        assertEquals(3, data.size(), "source, ts and text only");
    }

    @Test
    void sourcesDefaultToTheSdksAndUnknownOnesAreRefusedByName() {
        assertEquals(EnumSet.of(LogSource.STDOUT, LogSource.STDERR, LogSource.OUTPUT), LogEvents.sources(null));
        assertEquals(EnumSet.of(LogSource.STDOUT, LogSource.STDERR, LogSource.OUTPUT), LogEvents.sources(""));
        assertEquals(EnumSet.of(LogSource.SYSTEM, LogSource.STDOUT), LogEvents.sources("system,stdout"));
        ApiException e = assertThrows(ApiException.class, () -> LogEvents.sources("stdout,kernel"));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith("sources: unknown source 'kernel'"), e.getMessage());
    }

    @Test
    void lastEventIdIsACursorOrRefused() {
        assertEquals(LogCursor.EMPTY, LogEvents.cursor(null));
        assertEquals(LogCursor.of(3, 4), LogEvents.cursor(LogCursor.of(3, 4).encode()));
        ApiException e = assertThrows(ApiException.class, () -> LogEvents.cursor("garbage!"));
        assertTrue(e.getMessage().startsWith("Last-Event-ID:"), e.getMessage());
    }
}
