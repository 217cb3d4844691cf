package io.msb.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogsCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private void print(String sse, Instant since) throws Exception {
        LogsCommand.print(new ByteArrayInputStream(sse.getBytes(StandardCharsets.UTF_8)), new ObjectMapper(), out, err,
                since);
    }

    private static String log(String source, String ts, String text) {
        return "event: log\nid: AQ==\ndata: {\"source\":\"" + source + "\",\"ts\":\"" + ts + "\",\"text\":\"" + text
                + "\"}\n\n";
    }

    @Test
    void eachSourceGoesToItsStreamAndTheEndEventEndsIt() throws Exception {
        print(": keepalive\n\n" + log("stdout", "2026-01-01T00:00:00Z", "out\\n") + log("stderr", "2026-01-01T00:00:01Z",
                "err\\n") + log("output", "2026-01-01T00:00:02Z", "tty\\r\\n") + log("system", "2026-01-01T00:00:03Z",
                "sandbox stopped\\n") + "event: end\ndata: {}\n\n" + log("stdout", "2026-01-01T00:00:04Z", "after end"),
                null);
        assertEquals("out\ntty\r\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("err\nsandbox stopped\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void sinceSkipsOlderEntries() throws Exception {
        print(log("stdout", "2026-01-01T00:00:00Z", "old\\n") + log("stdout", "2026-01-01T00:00:10.5Z", "new\\n"),
                Instant.parse("2026-01-01T00:00:10Z"));
        assertEquals("new\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void sinceIsATimeOrAnAge() {
        Instant now = Instant.parse("2026-01-02T00:00:00Z");
        assertEquals(Instant.parse("2026-01-01T23:50:00Z"), LogsCommand.since("10m", now));
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), LogsCommand.since("1d", now));
        assertEquals(Instant.parse("2025-05-05T05:05:05Z"), LogsCommand.since("2025-05-05T05:05:05Z", now));
        assertThrows(CliException.class, () -> LogsCommand.since("yesterday", now));
    }
}
