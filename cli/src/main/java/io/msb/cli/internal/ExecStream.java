package io.msb.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;

/**
 * Plays an exec's NDJSON event stream (decision 0011): stdout and stderr bytes are written as they
 * arrive, and the terminal event becomes the CLI's exit status (decision 1022). The stream comes
 * from the guest through the server, so every line and field is bounded and checked.
 */
public final class ExecStream {
    /** A data event carries at most one agent frame (4 MiB) as base64, plus a little JSON. */
    static final int MAX_LINE = 8 << 20;
    static final int MAX_MESSAGE = 4096;

    public ExecStream() {
    }

    /** Reads events until the exit or error event and returns the exit status the CLI should end with. */
    public int play(InputStream stream, OutputStream stdout, OutputStream stderr) throws IOException {
        // Buffered for the byte-wise line reading; a read still returns what has arrived, so nothing waits.
        InputStream events = new BufferedInputStream(stream, 64 << 10);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int lineNo = 0;
        while (readLine(events, line)) {
            lineNo++;
            if (line.size() == 0) {
                continue;
            }
            JsonNode event;
            try {
                event = JsonTree.read(line.toByteArray());
            } catch (IOException e) {
                throw new CliException("exec stream line " + lineNo + ": not JSON");
            }
            if (event == null || !event.isObject() || !event.path("type").isTextual()) {
                throw new CliException("exec stream line " + lineNo + ": type: must be a string");
            }
            switch (event.get("type").asText()) {
                case "stdout" -> write(stdout, data(event, lineNo));
                case "stderr" -> write(stderr, data(event, lineNo));
                case "exit" -> {
                    return exitStatus(integer(event, "code", lineNo, 0, 255), integer(event, "signal", lineNo, 0, 127));
                }
                case "error" -> {
                    String kind = text(event, "kind", lineNo);
                    String message = event.path("message").isTextual() ? event.get("message").asText() : kind;
                    message = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
                    throw new CliException(Text.printable(message), failureStatus(kind));
                }
                default -> {
                    // "started" and event types added later carry nothing the CLI prints.
                }
            }
        }
        throw new CliException("the exec stream ended before the command's exit was reported: the server closed the connection");
    }

    /** The guest's exit code, or 128+signal when a signal killed it, as shells report it. */
    static int exitStatus(int code, int signal) {
        return signal > 0 ? Math.min(128 + signal, 255) : code;
    }

    /** The exec failure kinds of the agent protocol (the API's ExecFailureKind, lower-case): nothing ran. */
    private static final Set<String> CANNOT_START = Set.of("permission_denied", "not_executable", "bad_cwd",
        "bad_args", "resource_limit", "user_setup_failed", "pty_setup_failed", "out_of_memory", "other");

    /**
     * Docker's convention: 127 when the command is not found, 126 when it cannot be started otherwise;
     * 137 when the server killed it (SIGKILL) for passing its output limit; 125 for a kind this CLI does
     * not know, since it cannot tell whether the command ran.
     */
    static int failureStatus(String kind) {
        String k = kind.toLowerCase(Locale.ROOT).replace('-', '_');
        if (k.equals("not_found")) {
            return 127;
        }
        if (k.equals("output_limit")) {
            return 128 + 9;
        }
        return CANNOT_START.contains(k) ? 126 : CliException.EXIT_CLI;
    }

    private static void write(OutputStream out, byte[] data) throws IOException {
        out.write(data);
        out.flush();
    }

    private static byte[] data(JsonNode event, int lineNo) {
        String data = text(event, "data", lineNo);
        try {
            return Base64.getDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new CliException("exec stream line " + lineNo + ": data: must be base64");
        }
    }

    private static String text(JsonNode event, String field, int lineNo) {
        JsonNode v = event.get(field);
        if (v == null || !v.isTextual()) {
            throw new CliException("exec stream line " + lineNo + ": " + field + ": must be a string");
        }
        return v.asText();
    }

    private static int integer(JsonNode event, String field, int lineNo, int min, int max) {
        JsonNode v = event.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < min || v.intValue() > max) {
            throw new CliException("exec stream line " + lineNo + ": " + field + ": must be an integer " + min + ".." + max);
        }
        return v.intValue();
    }

    /** Reads one '\n'-terminated line into {@code line}; false at the end of the stream with nothing read. */
    private static boolean readLine(InputStream in, ByteArrayOutputStream line) throws IOException {
        line.reset();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return true;
            }
            if (line.size() >= MAX_LINE) {
                throw new CliException("exec stream: a line is longer than " + (MAX_LINE >> 20) + " MiB");
            }
            line.write(b);
        }
        return line.size() > 0;
    }
}
