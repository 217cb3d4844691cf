package io.msb.protocol;

import io.msb.api.TcpStream;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecListener;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.api.fs.SandboxFs;
import io.msb.api.spi.DaemonThreads;
import io.msb.protocol.internal.AgentFs;
import io.msb.protocol.internal.AgentTcpStream;
import io.msb.protocol.internal.Call;
import io.msb.protocol.internal.Codec;
import io.msb.protocol.internal.ExecSessionImpl;
import io.msb.protocol.internal.Mux;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The host's client for one agent connection: exec, fs and tcp sessions multiplexed by
 * correlation id. Works directly against an agent (which speaks first with {@code core.ready})
 * or through a {@link AgentRelay} (which first sends the client's id range). Thread-safe.
 * <p>
 * Events of streamed sessions are delivered to each session's consumer off the connection's
 * reader thread, in order; a consumer that does not keep up only pauses its own session in the
 * agent (decision 0310), so one slow consumer never delays another session.
 */
public final class AgentClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AgentClient.class.getName());

    /**
     * @param readyTimeout how long to wait for the handshake ({@code core.ready})
     * @param requestTimeout how long to wait for the answer to a request (ping, fs, tcp connect)
     * @param streamQueueChunks 256 KiB chunks buffered per session (exec output, fs read, tcp stream)
     *        before the agent is asked to pause that session (decision 0310)
     */
    public record Options(Duration readyTimeout, Duration requestTimeout, int streamQueueChunks) {
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(30), Duration.ofSeconds(30), 16);

        public Options {
            Objects.requireNonNull(readyTimeout, "readyTimeout");
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            if (readyTimeout.isNegative() || readyTimeout.isZero()) {
                throw new IllegalArgumentException("readyTimeout: must be positive");
            }
            if (requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout: must be positive");
            }
            if (streamQueueChunks < 1 || streamQueueChunks > 4096) {
                throw new IllegalArgumentException("streamQueueChunks: must be in [1, 4096], got " + streamQueueChunks);
            }
        }

        /** The per-session buffer in bytes (chunks of the agent's largest frame, 256 KiB). */
        public long streamBufferBytes() {
            return streamQueueChunks * 256L * 1024;
        }
    }

    private final Mux mux;
    private final Options options;
    private final Core.Ready ready;
    private final long idStart;
    private final long idEndExclusive;
    private final AgentFs fs;

    private AgentClient(Mux mux, Options options, Core.Ready ready, long idStart, long idEndExclusive) {
        this.mux = mux;
        this.options = options;
        this.ready = ready;
        this.idStart = idStart;
        this.idEndExclusive = idEndExclusive;
        this.fs = new AgentFs(mux, options.requestTimeout(), options.streamBufferBytes());
    }

    /** Connects straight to an agent's UNIX socket ({@code agentd --listen}, a VM channel). */
    public static AgentClient connect(Path socket, Options options) throws IOException {
        return connect(AgentTransport.unix(socket), options);
    }

    /** Connects to a {@link AgentRelay} socket (e.g. a sandbox's {@code agent.sock}). */
    public static AgentClient connectRelay(Path socket, Options options) throws IOException {
        return connectRelay(AgentTransport.unix(socket), options);
    }

    /**
     * Talks straight to an agent: waits for its {@code core.ready}, answering
     * {@code core.init.resolved} with {@code core.init.ack} on the way. The whole id space is ours.
     */
    public static AgentClient connect(AgentTransport transport, Options options) throws IOException {
        return handshake(transport, options, false);
    }

    /** Talks to a relay: reads {@code [id_start u32][id_end_exclusive u32]}, then the cached ready frame. */
    public static AgentClient connectRelay(AgentTransport transport, Options options) throws IOException {
        return handshake(transport, options, true);
    }

    private static AgentClient handshake(AgentTransport transport, Options options, boolean relay)
            throws IOException {
        // the watchdog closes the transport, which unblocks a handshake read that never completes
        var watchdog = DaemonThreads.scheduler("msb-agent-handshake");
        var timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        watchdog.schedule(() -> {
            timedOut.set(true);
            transport.close();
        }, options.readyTimeout().toNanos(), TimeUnit.NANOSECONDS);
        try {
            long start = 1;
            long end = 1L << 32;
            Mux mux;
            if (relay) {
                DataInputStream in = new DataInputStream(transport.input());
                start = Integer.toUnsignedLong(in.readInt());
                end = Integer.toUnsignedLong(in.readInt());
                if (start < 1 || start >= end) {
                    transport.close();
                    throw new IOException("relay handshake: invalid id range [" + start + ", " + end + ")");
                }
            }
            mux = new Mux(transport, start, end, relay ? "msb-relay-client" : "msb-agent");
            Core.Ready ready = readReady(mux, relay);
            mux.flowControl(ready.supportsFlowControl());
            mux.start(m -> LOG.fine(() -> "unsolicited " + m));
            return new AgentClient(mux, options, ready, start, end);
        } catch (IOException | RuntimeException e) {
            transport.close();
            if (timedOut.get()) {
                throw new AgentTimeoutException("agent handshake: no core.ready within " + options.readyTimeout());
            }
            throw e;
        } finally {
            watchdog.shutdownNow();
        }
    }

    private static Core.Ready readReady(Mux mux, boolean relay) throws IOException {
        while (true) {
            Frame f = Frame.read(mux.input());
            if (f == null) {
                throw new IOException("agent handshake: connection closed before core.ready");
            }
            Message m = Codec.decode(f);
            MessageType t = m.type();
            if (t == MessageType.READY) {
                return m.payload(Core.Ready.class);
            }
            if (t == MessageType.INIT_RESOLVED && !relay) {
                mux.send(MessageType.INIT_ACK, 0, new Core.InitAck());
            } else if (relay) {
                throw new IOException("relay handshake: expected core.ready, got " + m.wireType());
            }
        }
    }

    /** What the agent reported when it became ready. */
    public Core.Ready ready() {
        return ready;
    }

    /** First correlation id of this client's range. */
    public long idStart() {
        return idStart;
    }

    public long idEndExclusive() {
        return idEndExclusive;
    }

    public boolean isOpen() {
        return mux.isOpen();
    }

    /** Sessions waiting for their terminal message. */
    public int pendingSessions() {
        return mux.sessionCount();
    }

    /** Round trip of {@code core.ping}; does not count as sandbox activity. */
    public Duration ping() {
        long t0 = System.nanoTime();
        Call.run(mux, MessageType.PING, new Core.Ping(), options.requestTimeout());
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Records sandbox activity; returns the agent's activity sequence. */
    public long touch() {
        return Call.run(mux, MessageType.TOUCH, new Core.Touch(), options.requestTimeout())
                .payload(Core.Touched.class).activitySeq();
    }

    /**
     * Asks the guest to step its wall clock to {@code now}. Sent on this client's first id: the agent answers
     * nothing and keeps no session for it, and a relay refuses ids outside the client's range (id 0 included).
     */
    public void syncClock(Instant now) {
        mux.send(MessageType.CLOCK_SYNC, (int) idStart, new Core.ClockSync(unixNanos(now)));
    }

    private static long unixNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    /**
     * Gives the running guest a new identity (msb extension {@code msb.identity.apply}, decision 1240): a sandbox
     * restored from a memory snapshot or a warm pool is a copy of another, and must not keep its name, address, MAC,
     * environment, random streams or clock. Blocks for the agent's answer up to the request timeout.
     *
     * @param bootstrap what changes; fields left absent (null, empty lists) stay as they are. Allowed: hostname, default
     *        env (replaces the last one), user, default cwd, network (eth0 moves to the new address, gateway, MTU and
     *        MAC) and tmpfs mounts; rlimits, handoff init and other mounts are refused
     * @param seed {@value Core.IdentityApply#MIN_SEED} to {@value Core.IdentityApply#MAX_SEED} random bytes for the
     *        guest's RNG (null: none)
     * @param now the wall clock the guest steps to (null: unchanged)
     * @throws ProtocolException {@code invalid_payload} naming the field and the rule, with nothing applied; or
     *         {@code apply_failed} naming the step that failed in the guest
     * @throws AgentTimeoutException if no answer comes within the request timeout
     */
    public void applyIdentity(GuestBootstrap bootstrap, byte[] seed, Instant now) {
        Call.run(mux, MessageType.IDENTITY_APPLY, new Core.IdentityApply(bootstrap, seed,
                now == null ? null : unixNanos(now)), options.requestTimeout());
    }

    /** Asks the agent to shut the sandbox down (sync, unmount, power off). */
    public void shutdown() {
        mux.send(MessageType.SHUTDOWN, 0, null);
    }

    /**
     * Starts a command; events go to {@code listener} in order, on a delivery thread of this session
     * (never the reader thread): a listener that blocks pauses only this command's output.
     */
    public ExecSession exec(ExecOptions options, ExecListener listener) {
        return ExecSessionImpl.start(mux, Objects.requireNonNull(options, "options"),
                Objects.requireNonNull(listener, "listener"), this.options.streamBufferBytes());
    }

    /**
     * Runs a command and collects its output.
     *
     * @throws io.msb.api.exec.ExecFailedException if the agent could not start it
     */
    public ExecResult run(ExecOptions options) {
        long t0 = System.nanoTime();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExecSession s = exec(options, e -> {
            if (e instanceof ExecEvent.Stdout o) {
                out.writeBytes(o.data());
            } else if (e instanceof ExecEvent.Stderr o) {
                err.writeBytes(o.data());
            }
        });
        ExecExit exit;
        try {
            exit = s.waitFor(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.signal(9);
            throw new AgentTimeoutException("exec: interrupted");
        }
        // the exit future completing after the last output event orders these reads after its writes
        return new ExecResult(exit, out.toByteArray(), err.toByteArray(), Duration.ofNanos(System.nanoTime() - t0));
    }

    /** File operations performed by the agent. */
    public SandboxFs fs() {
        return fs;
    }

    /** Opens a TCP connection from inside the guest to {@code host:port}. */
    public TcpStream connectTcp(String host, int port) {
        return AgentTcpStream.connect(mux, host, port, options.requestTimeout(), options.streamBufferBytes());
    }

    /** Sends one frame as is (no session bookkeeping), for tools and tests. */
    public void sendRaw(Frame frame) {
        mux.send(frame);
    }

    /**
     * Sends a request and waits for its terminal answer (a {@code core.error} answer becomes a
     * {@link ProtocolException}), for messages this class has no method for.
     */
    public Message request(MessageType type, Object payload) {
        return Call.run(mux, type, payload, options.requestTimeout());
    }

    /** Sends a message with explicit wire type and flags under a fresh id and waits for the terminal answer. */
    public Message requestRaw(String wireType, int flags, byte[] payload) {
        return Call.run(mux, id -> Codec.encodeRaw(wireType, id, flags, payload), wireType, options.requestTimeout());
    }

    /** Closes the connection; every pending session fails with {@link AgentClosedException}. */
    @Override
    public void close() {
        mux.close();
    }
}
