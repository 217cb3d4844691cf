package io.msb.http.internal;

import io.msb.api.SandboxService;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * {@code GET /v1/sandboxes/{id}/logs}: the sandbox's stored log as Server-Sent Events, as microsandbox's SDK reads
 * them ({@code event: log}, {@code id: <LogCursor>}, {@code data: {"source","ts","text"}}; {@code event: end} once the
 * sandbox stopped and everything was sent). {@code Last-Event-ID} resumes just after that event. The stream runs on
 * the request's thread: at most {@code maxStreams} at once (more are 429), and each writes a comment every
 * {@code keepalive} while nothing happens, so a client that went away frees its thread within that time.
 * Extension: {@code follow=false} ends at the last entry stored now (the CLI's {@code msb logs} without -f).
 */
final class LogEvents {
    static final Set<LogSource> DEFAULT_SOURCES = EnumSet.of(LogSource.STDOUT, LogSource.STDERR, LogSource.OUTPUT);
    /** Entries written between two flushes, at most. */
    static final int BATCH = 256;
    private final SandboxService sandboxes;
    private final Semaphore streams;
    private final Duration keepalive;

    LogEvents(SandboxService sandboxes, int maxStreams, Duration keepalive) {
        this.sandboxes = sandboxes;
        this.streams = new Semaphore(maxStreams);
        this.keepalive = keepalive;
    }

    void serve(HttpServletRequest req, HttpServletResponse resp, String name) throws IOException, InterruptedException {
        Set<LogSource> sources = sources(ApiServlet.query(req, "sources"));
        LogCursor from = cursor(req.getHeader("Last-Event-ID"));
        boolean follow = follow(ApiServlet.query(req, "follow"));
        if (!streams.tryAcquire()) {
            throw new ApiException(429, "too_many_requests", "too many log streams are open (maxLogStreams of io.msb.http)",
                    null);
        }
        try (LogStream stream = sandboxes.logs(name, sources, from, follow)) {
            resp.setStatus(200);
            resp.setContentType("text/event-stream");
            resp.setCharacterEncoding("UTF-8");
            resp.setHeader("Cache-Control", "no-store");
            OutputStream out = resp.getOutputStream();
            resp.flushBuffer(); // the client knows at once that the stream is open
            pump(stream, out, resp);
        } catch (IOException clientGone) {
            // the client went away: its stream is closed above, nothing to answer
        } finally {
            streams.release();
        }
    }

    private void pump(LogStream stream, OutputStream out, HttpServletResponse resp)
            throws IOException, InterruptedException {
        while (true) {
            var entries = stream.next(BATCH, keepalive);
            if (entries.isEmpty() && !stream.ended()) {
                out.write(": keepalive\n\n".getBytes(StandardCharsets.US_ASCII));
            }
            for (LogEntry e : entries) {
                out.write(event(e));
            }
            if (stream.ended()) {
                out.write("event: end\ndata: {}\n\n".getBytes(StandardCharsets.US_ASCII));
                resp.flushBuffer();
                return;
            }
            resp.flushBuffer();
        }
    }

    /** One {@code event: log}; the JSON has no raw newline, so it is a single {@code data:} line. */
    static byte[] event(LogEntry e) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", e.source().wireName());
        data.put("ts", DateTimeFormatter.ISO_INSTANT.format(e.time()));
        data.put("text", e.text());
        byte[] json = Json.write(data);
        byte[] head = ("event: log\nid: " + e.cursor().encode() + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + json.length + 2];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(json, 0, all, head.length, json.length);
        all[all.length - 2] = '\n';
        all[all.length - 1] = '\n';
        return all;
    }

    /** {@code sources}: a comma list of stdout, stderr, output, system; absent or empty means the SDK's default. */
    static Set<LogSource> sources(String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT_SOURCES;
        }
        Set<LogSource> sources = EnumSet.noneOf(LogSource.class);
        for (String part : text.split(",", -1)) {
            LogSource s = LogSource.fromWire(part.trim());
            if (s == null) {
                String shown = part.replaceAll("[^\\x20-\\x7e]", "?");
                throw ApiException.invalid("sources", "unknown source '" + (shown.length() > 40
                        ? shown.substring(0, 40) + "..." : shown) + "': each must be stdout, stderr, output or system");
            }
            sources.add(s);
        }
        return sources;
    }

    static LogCursor cursor(String lastEventId) {
        try {
            return LogCursor.parse(lastEventId == null ? "" : lastEventId.trim());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("Last-Event-ID", "must be the id of an earlier log event (" + e.getMessage() + ")");
        }
    }

    private static boolean follow(String text) {
        if (text == null || text.equals("true")) {
            return true;
        }
        if (text.equals("false")) {
            return false;
        }
        throw ApiException.invalid("follow", "must be true or false");
    }
}
