package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.msb.api.MsbException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecFailureKind;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.api.spi.DaemonThreads;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One command on the remote through its streamed exec ({@code POST …/exec}, NDJSON: started, stdout, stderr, then
 * exit or error). The request carries the whole stdin, so nothing can be written to it later; killing the command
 * is closing the stream (the remote kills a command whose client went away). A reader thread turns the lines into
 * events for the listener, one at a time and in order.
 */
final class RemoteExec implements ExecSession {
    /** A line holds one output chunk in base64; far below this unless the remote misbehaves. */
    static final int MAX_LINE = 8 << 20;
    static final int SIGKILL = 9;
    private final String backend;
    private final InputStream stream;
    private final ExecListener listener;
    private final CompletableFuture<ExecExit> exit = new CompletableFuture<>();

    private RemoteExec(String backend, InputStream stream, ExecListener listener) {
        this.backend = backend;
        this.stream = stream;
        this.listener = listener;
    }

    /** Starts the command: a refusal (404, 409, 400) is thrown here, the events go to {@code listener}. */
    static RemoteExec start(RemoteMsb remote, String backend, String name, ExecOptions options, ExecListener listener) {
        InputStream stream = remote.stream("POST", RemoteMsb.sandbox(name, "exec"), request(backend, options),
                Map.of(), name);
        RemoteExec exec = new RemoteExec(backend, stream, listener);
        DaemonThreads.start("msb-" + backend + "-exec-" + name, exec::pump);
        return exec;
    }

    /** The remote's {@code ExecRequest}; a terminal or resource limits cannot be asked through it. */
    static ObjectNode request(String backend, ExecOptions o) {
        if (o.tty()) {
            throw new UnsupportedFeatureException("backend " + backend + ": no terminal (tty) exec over the HTTP API");
        }
        if (o.rlimits() != null && !o.rlimits().isEmpty()) {
            throw new UnsupportedFeatureException("backend " + backend + ": no per-exec rlimits over the HTTP API");
        }
        ObjectNode b = RemoteMsb.JSON.createObjectNode();
        o.command().forEach(b.putArray("cmd")::add);
        if (o.env() != null && !o.env().isEmpty()) {
            ObjectNode env = b.putObject("env");
            o.env().forEach(env::put);
        }
        if (o.cwd() != null) {
            b.put("workdir", o.cwd());
        }
        if (o.user() != null) {
            b.put("user", o.user());
        }
        if (o.timeout() != null) {
            b.put("timeout_secs", Math.max(1, o.timeout().toSeconds()));
        }
        if (o.stdin() != null) {
            b.put("stdin", Base64.getEncoder().encodeToString(o.stdin()));
        }
        return b;
    }

    private void pump() {
        try (InputStream in = new BufferedInputStream(stream)) {
            byte[] line;
            while ((line = line(in)) != null) {
                if (line.length > 0 && event(RemoteMsb.JSON.readTree(line))) {
                    return;
                }
            }
            fail(ExecFailureKind.OTHER, "backend " + backend + ": the remote's exec stream ended without an exit"
                    + " (the connection was lost)");
        } catch (IOException | RuntimeException e) {
            fail(ExecFailureKind.OTHER, "backend " + backend + ": the remote's exec stream broke: "
                    + RemoteErrors.printable(String.valueOf(e.getMessage())));
        }
    }

    /** Delivers one line's event; true once it was the last (exit or error). */
    private boolean event(JsonNode e) {
        String type = e.path("type").asText("");
        switch (type) {
            case "started" -> deliver(new ExecEvent.Started(e.path("pid").asLong()));
            case "stdout" -> deliver(new ExecEvent.Stdout(data(e)));
            case "stderr" -> deliver(new ExecEvent.Stderr(data(e)));
            case "exit" -> {
                ExecExit x = new ExecExit(e.path("code").asInt(), e.path("signal").asInt());
                deliver(new ExecEvent.Exited(x));
                exit.complete(x);
                return true;
            }
            case "error" -> {
                fail(kind(e.path("kind").asText("")), RemoteErrors.printable(e.path("message").asText("exec failed")));
                return true;
            }
            default -> throw new IllegalArgumentException("unknown event type " + RemoteErrors.printable(type));
        }
        return false;
    }

    private static byte[] data(JsonNode e) {
        return Base64.getDecoder().decode(e.path("data").asText(""));
    }

    private static ExecFailureKind kind(String wire) {
        try {
            return ExecFailureKind.valueOf(wire.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return ExecFailureKind.OTHER; // e.g. output_limit: the message says what happened
        }
    }

    private void fail(ExecFailureKind kind, String message) {
        if (exit.isDone()) {
            return;
        }
        deliver(new ExecEvent.Failed(kind, message));
        exit.completeExceptionally(new ExecFailedException(kind, message));
    }

    private void deliver(ExecEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            // the listener's own failure must not end the stream's reading
            System.getLogger(RemoteExec.class.getName()).log(System.Logger.Level.WARNING, "exec listener failed", e);
        }
    }

    /** The next line without its newline; null at the end of the stream. */
    static byte[] line(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return out.toByteArray();
            }
            if (out.size() >= MAX_LINE) {
                throw new IOException("a line of the remote's stream passed " + MAX_LINE + " bytes");
            }
            out.write(b);
        }
        return out.size() == 0 ? null : out.toByteArray();
    }

    @Override
    public void writeStdin(byte[] data) {
        throw new UnsupportedFeatureException("backend " + backend + ": stdin goes with the command"
                + " (ExecOptions.stdin); the HTTP API takes no more once it runs");
    }

    @Override
    public void closeStdin() {
        // the remote closes it after the stdin the request carried
    }

    @Override
    public void resize(int rows, int cols) {
        throw new UnsupportedFeatureException("backend " + backend + ": no terminal (tty) exec over the HTTP API");
    }

    @Override
    public void signal(int signal) {
        if (signal != SIGKILL) {
            throw new UnsupportedFeatureException("backend " + backend + ": only SIGKILL (9) reaches a remote"
                    + " command (by closing its stream)");
        }
        try {
            stream.close();
        } catch (IOException e) {
            // already closed: nothing left to stop
        }
    }

    @Override
    public CompletionStage<ExecExit> exit() {
        return exit.minimalCompletionStage();
    }

    @Override
    public ExecExit waitFor(Duration timeout) throws InterruptedException {
        try {
            return timeout == null ? exit.get() : exit.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new MsbException("backend " + backend + ": exec still running after " + timeout);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new MsbException(e.getMessage(), e.getCause());
        }
    }
}
