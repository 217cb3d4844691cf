package io.msb.protocol.internal;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecFailedException;
import io.msb.api.exec.ExecFailureKind;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.AgentTimeoutException;
import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A streamed exec: events go to the listener in wire order on a delivery task of this session, never
 * on the reader thread; what the listener has not taken yet is bounded by a {@link Flow} (decision 0310).
 */
public final class ExecSessionImpl extends Session implements ExecSession {
    private static final Logger LOG = Logger.getLogger(ExecSessionImpl.class.getName());
    /** Stdin chunk size: well under the frame limit. */
    static final int STDIN_CHUNK = 1024 * 1024;
    private static final int SIGKILL = 9;

    private final Mux mux;
    private final ExecListener listener;
    private final Flow flow;
    private final ConcurrentLinkedQueue<ExecEvent> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean delivering = new AtomicBoolean();
    private final CompletableFuture<ExecExit> exit = new CompletableFuture<>();
    /** How the exit future ends, set on the reader thread before the last event is queued. */
    private volatile RuntimeException failure;
    /** A terminal event is queued (reader thread only). */
    private volatile boolean ended;
    private volatile boolean eofSent;
    private volatile Exec.StdinError stdinError;
    private volatile ScheduledFuture<?> timeoutTask;

    private ExecSessionImpl(Mux mux, ExecListener listener, long bufferBytes) {
        this.mux = mux;
        this.listener = listener;
        this.flow = new Flow(mux, this, bufferBytes);
    }

    /** @param bufferBytes output bytes queued for the listener before the agent is asked to pause the process */
    public static ExecSessionImpl start(Mux mux, ExecOptions options, ExecListener listener, long bufferBytes) {
        Exec.Request request = toRequest(options);
        ExecSessionImpl s = new ExecSessionImpl(mux, listener, bufferBytes);
        int id = mux.register(s);
        try {
            mux.send(MessageType.EXEC_REQUEST, id, request);
        } catch (RuntimeException e) {
            mux.unregister(s);
            throw e;
        }
        if (options.timeout() != null) {
            try {
                s.timeoutTask = mux.timer().schedule(s::kill, options.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the connection closed meanwhile; the session has failed already
            }
        }
        if (options.stdin() != null) {
            s.writeStdin(options.stdin());
            s.closeStdin();
        }
        return s;
    }

    static Exec.Request toRequest(ExecOptions o) {
        if (o.command().isEmpty()) {
            throw new IllegalArgumentException("command: must name a program");
        }
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : o.env().entrySet()) {
            if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0) {
                throw new IllegalArgumentException("env: key '" + e.getKey() + "' must be non-empty without '='");
            }
            env.add(e.getKey() + "=" + e.getValue());
        }
        List<Exec.Rlimit> rlimits = o.rlimits().stream()
                .map(r -> new Exec.Rlimit(r.resource(), r.soft(), r.hard()))
                .toList();
        return new Exec.Request(o.command().get(0), o.command().subList(1, o.command().size()), env, o.cwd(),
                o.user(), o.tty(), o.rows(), o.cols(), rlimits);
    }

    private void kill() {
        if (!exit.isDone()) {
            try {
                signal(SIGKILL);
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "exec timeout: kill failed", e);
            }
        }
    }

    @Override
    protected void onMessage(MessageType type, Message m) {
        switch (type) {
        case EXEC_STARTED -> emit(new ExecEvent.Started(m.payload(Exec.Started.class).pid()));
        case EXEC_STDOUT -> emit(new ExecEvent.Stdout(m.payload(Exec.Stdout.class).data()));
        case EXEC_STDERR -> emit(new ExecEvent.Stderr(m.payload(Exec.Stderr.class).data()));
        case EXEC_STDIN_ERROR -> {
            // non-terminal: the process goes on, the caller can still close stdin
            stdinError = m.payload(Exec.StdinError.class);
        }
        case EXEC_EXITED -> {
            Exec.Exited e = m.payload(Exec.Exited.class);
            finish();
            ended = true;
            emit(new ExecEvent.Exited(new ExecExit(e.code(), e.signal())));
        }
        case EXEC_FAILED -> {
            Exec.Failed f = m.payload(Exec.Failed.class);
            finish();
            ended = true;
            failure = new ExecFailedException(f.kind().api(), f.message());
            emit(new ExecEvent.Failed(f.kind().api(), f.message()));
        }
        default -> throw new ProtocolException(Core.ErrorKind.INVALID_SESSION,
                type.wire() + " is not part of an exec session");
        }
    }

    @Override
    protected void onFailure(RuntimeException cause) {
        finish();
        if (!ended) {
            ended = true;
            failure = cause;
            emit(new ExecEvent.Failed(ExecFailureKind.OTHER, cause.getMessage()));
        }
    }

    private void finish() {
        ScheduledFuture<?> t = timeoutTask;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** From the reader thread (or a failing connection): queue, and make sure a delivery task runs. */
    private void emit(ExecEvent event) {
        pending.add(event);
        if (delivering.compareAndSet(false, true)) {
            mux.deliver(this::deliver);
        }
        flow.added(size(event));
    }

    private static int size(ExecEvent e) {
        if (e instanceof ExecEvent.Stdout o) {
            return o.data().length;
        }
        return e instanceof ExecEvent.Stderr o ? o.data().length : 0;
    }

    /** One task at a time per session: hands queued events to the listener in order. */
    private void deliver() {
        do {
            ExecEvent e;
            while ((e = pending.poll()) != null) {
                try {
                    listener.onEvent(e);
                } catch (RuntimeException ex) {
                    LOG.log(Level.WARNING, "exec listener threw; the session goes on", ex);
                }
                flow.released(size(e));
                // the future completes after the listener saw the last event, so callers see all output
                if (e instanceof ExecEvent.Exited x) {
                    exit.complete(x.exit());
                } else if (e instanceof ExecEvent.Failed) {
                    exit.completeExceptionally(failure);
                }
            }
            delivering.set(false);
        } while (!pending.isEmpty() && delivering.compareAndSet(false, true));
    }

    @Override
    public void writeStdin(byte[] data) {
        if (eofSent) {
            throw new IllegalStateException("stdin: already closed");
        }
        for (int off = 0; off < data.length; off += STDIN_CHUNK) {
            int n = Math.min(STDIN_CHUNK, data.length - off);
            byte[] chunk = off == 0 && n == data.length ? data : java.util.Arrays.copyOfRange(data, off, off + n);
            mux.send(MessageType.EXEC_STDIN, id, new Exec.Stdin(chunk));
        }
    }

    @Override
    public void closeStdin() {
        if (!eofSent) {
            eofSent = true;
            if (!exit.isDone()) {
                mux.send(MessageType.EXEC_STDIN, id, new Exec.Stdin(new byte[0]));
            }
        }
    }

    /** The agent's report of a failed stdin write, or null. */
    public Exec.StdinError stdinError() {
        return stdinError;
    }

    @Override
    public void resize(int rows, int cols) {
        mux.send(MessageType.EXEC_RESIZE, id, new Exec.Resize(rows, cols));
    }

    @Override
    public void signal(int signal) {
        mux.send(MessageType.EXEC_SIGNAL, id, new Exec.Signal(signal));
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
            throw new AgentTimeoutException("exec: still running after " + timeout);
        } catch (ExecutionException e) {
            throw Sessions.rethrow(e.getCause());
        }
    }
}
