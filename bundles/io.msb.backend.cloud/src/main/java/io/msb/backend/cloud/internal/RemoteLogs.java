package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.MsbException;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogEntry;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.spi.DaemonThreads;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A sandbox's logs from the remote's {@code GET …/logs} (Server-Sent Events: {@code event: log} with the cursor as
 * {@code id} and {@code {source, ts, text}} as data; {@code event: end} when the sandbox stopped and all was sent).
 * A reader thread parses the events into a small bounded queue, so a slow reader slows the stream, not memory.
 */
final class RemoteLogs implements LogStream {
    private static final int QUEUE = 1024;
    /** Marks the end of the stream in the queue. */
    private static final LogEntry END = new LogEntry(LogSource.SYSTEM, Instant.EPOCH, "", null, LogCursor.EMPTY);
    private final String backend;
    private final InputStream stream;
    private final BlockingQueue<LogEntry> queue = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean ended;
    private volatile String failure;
    private volatile boolean closed;

    private RemoteLogs(String backend, InputStream stream) {
        this.backend = backend;
        this.stream = stream;
    }

    static RemoteLogs open(RemoteMsb remote, String backend, String name, Set<LogSource> sources, LogCursor from,
            boolean follow) {
        String query = "?follow=" + follow + "&sources=" + sources.stream().map(LogSource::wireName).sorted()
                .collect(Collectors.joining(","));
        Map<String, String> headers = from == null || from.positions().isEmpty() ? Map.of()
                : Map.of("Last-Event-ID", from.encode());
        RemoteLogs logs = new RemoteLogs(backend, remote.stream("GET", RemoteMsb.sandbox(name, "logs") + query, null,
                headers, name));
        DaemonThreads.start("msb-" + backend + "-logs-" + name, logs::pump);
        return logs;
    }

    private void pump() {
        String event = null;
        String id = null;
        StringBuilder data = new StringBuilder();
        try (InputStream in = new BufferedInputStream(stream)) {
            byte[] raw;
            while ((raw = RemoteExec.line(in)) != null) {
                String line = new String(raw, StandardCharsets.UTF_8);
                if (line.endsWith("\r")) {
                    line = line.substring(0, line.length() - 1);
                }
                if (line.isEmpty()) {
                    if ("end".equals(event)) {
                        break;
                    }
                    if ("log".equals(event) && data.length() > 0) {
                        queue.put(entry(id, RemoteMsb.JSON.readTree(data.toString())));
                    }
                    event = null;
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                failure = "backend " + backend + ": the remote's log stream broke: "
                        + RemoteErrors.printable(String.valueOf(e.getMessage()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                queue.put(END);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static LogEntry entry(String id, JsonNode d) {
        LogSource source = LogSource.fromWire(d.path("source").asText(""));
        if (source == null) {
            throw new IllegalArgumentException("a log event's source is unknown");
        }
        return new LogEntry(source, Instant.parse(d.path("ts").asText()), d.path("text").asText(""), null,
                LogCursor.parse(id == null ? "" : id));
    }

    @Override
    public List<LogEntry> next(int max, Duration wait) throws InterruptedException {
        List<LogEntry> out = new ArrayList<>();
        if (ended) {
            return out;
        }
        LogEntry first = queue.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
        for (LogEntry e = first; e != null && out.size() < max; e = out.size() < max ? queue.poll() : null) {
            if (e == END) {
                if (failure != null && !out.isEmpty()) {
                    queue.offer(END); // these entries first, the failure on the next call
                    break;
                }
                ended = true;
                if (failure != null) {
                    throw new MsbException(failure);
                }
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public boolean ended() {
        return ended;
    }

    @Override
    public void close() {
        closed = true;
        try {
            stream.close();
        } catch (IOException e) {
            // already closed
        }
        queue.clear(); // the reader, if blocked on a full queue, can put its END and finish
    }
}
