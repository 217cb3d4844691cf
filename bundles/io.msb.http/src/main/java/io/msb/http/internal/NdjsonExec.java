package io.msb.http.internal;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecSession;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One exec's events as NDJSON lines (decision 0011), flushed one by one by the servlet thread. The exec's own
 * delivery task (never the agent connection's reader thread, decisions 0310/1010) hands events over through a
 * small bounded queue, so a slow client pauses only its own guest process instead of filling memory;
 * when the client goes away the queue switches to discarding (the reader thread is never left blocked) and
 * the guest process is killed. While the command is silent a blank line goes out every {@code keepalive}: it
 * finds a vanished client and keeps idle timeouts away; clients skip blank lines.
 */
final class NdjsonExec implements ExecListener {
    static final int SIGKILL = 9;
    private static final int QUEUE = 64;
    private final BlockingQueue<ExecEvent> queue = new ArrayBlockingQueue<>(QUEUE);
    private final long maxOutputBytes;
    private final Duration keepalive;
    private volatile boolean abandoned;

    /** @param maxOutputBytes stdout plus stderr allowed before the process is killed; 0 for no limit */
    NdjsonExec(long maxOutputBytes, Duration keepalive) {
        this.maxOutputBytes = maxOutputBytes;
        this.keepalive = keepalive;
    }

    @Override
    public void onEvent(ExecEvent event) {
        try {
            while (!abandoned && !queue.offer(event, 100, TimeUnit.MILLISECONDS)) {
                // the client reads slowly: wait for it, or for it to go away
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes events to {@code out} until the exit or failure; returns false if the client went away first. */
    boolean pump(ExecSession session, OutputStream out) throws InterruptedException {
        long output = 0;
        boolean overLimit = false;
        try {
            while (true) {
                ExecEvent event = queue.poll(keepalive.toMillis(), TimeUnit.MILLISECONDS);
                if (event == null) {
                    out.write('\n');
                } else if (event instanceof ExecEvent.Started s) {
                    line(out, Map.of("pid", s.pid()), "started");
                } else if (event instanceof ExecEvent.Stdout o || event instanceof ExecEvent.Stderr) {
                    boolean stdout = event instanceof ExecEvent.Stdout;
                    byte[] data = stdout ? ((ExecEvent.Stdout) event).data() : ((ExecEvent.Stderr) event).data();
                    output += data.length;
                    if (maxOutputBytes > 0 && output > maxOutputBytes && !overLimit) {
                        overLimit = true;
                        signal(session);
                    }
                    if (!overLimit) {
                        line(out, Map.of("data", Base64.getEncoder().encodeToString(data)), stdout ? "stdout" : "stderr");
                    }
                } else if (event instanceof ExecEvent.Exited x) {
                    if (overLimit) {
                        line(out, fields("kind", "output_limit", "message", "the command's output passed " + maxOutputBytes
                                + " bytes (maxExecOutputMib of io.msb.http); it was killed"), "error");
                    } else {
                        line(out, fields("code", x.exit().code(), "signal", x.exit().signal()), "exit");
                    }
                    out.flush();
                    return true;
                } else if (event instanceof ExecEvent.Failed f) {
                    line(out, fields("kind", f.kind().name().toLowerCase(Locale.ROOT),
                            "message", f.message() == null ? f.kind().name() : f.message()), "error");
                    out.flush();
                    return true;
                }
                out.flush();
            }
        } catch (IOException clientGone) {
            abandoned = true;
            queue.clear();
            signal(session);
            return false;
        }
    }

    /** Fields in this order (Map.of has none): key, value, key, value … */
    static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return fields;
    }

    /** One NDJSON line {@code {"type": type, fields…}}; msb's pull stream writes its lines with it too. */
    static void line(OutputStream out, Map<String, Object> fields, String type) throws IOException {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", type);
        event.putAll(fields);
        out.write(Json.write(event));
        out.write('\n');
    }

    private static void signal(ExecSession session) {
        try {
            session.signal(SIGKILL);
        } catch (RuntimeException alreadyGone) {
            // the process ended or the agent closed: nothing left to stop
        }
    }
}
