package io.msb.protocol.internal;

import io.msb.api.spi.DaemonThreads;
import io.msb.protocol.AgentRelay;
import io.msb.protocol.AgentTimeoutException;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Core;
import io.msb.protocol.Exec;
import io.msb.protocol.ExecObserver;
import io.msb.protocol.Frame;
import io.msb.protocol.FrameException;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Shares one agent connection among many clients, as microsandbox's relay does: each client
 * owns a slice of the correlation-id space, receives {@code [id_start u32 BE][id_end_exclusive
 * u32 BE]} and the cached {@code core.ready} frame when it connects, and frames are routed by id
 * without decoding. When a client leaves, its running execs get SIGKILL and the agent is told
 * with {@code core.relay.client.disconnected}. Each client has its own queue and writer thread: a client that
 * does not read gets its sessions paused and, past {@link Options#clientBacklog()}, is disconnected only if the
 * agent cannot pause or goes on sending after confirming the pause; it never delays the others (decisions 0311,
 * 0312).
 */
public final class Relay implements AgentRelay {
    private static final Logger LOG = Logger.getLogger(Relay.class.getName());
    /** Most clients at once, and so the number of id slices. */
    public static final int MAX_CLIENTS = 128;
    /** Width of one client's id slice. */
    public static final long ID_RANGE_STEP = 0xffffffffL / MAX_CLIENTS;
    private static final int SIGKILL = 9;

    /**
     * @param readyTimeout how long to wait for the agent's {@code core.ready}
     * @param clientBacklog most bytes queued for one client before it is disconnected, not counting output the
     *        agent sent before a pause reached it (0312); at a quarter of it the relay pauses that client's
     *        sessions (when the agent supports {@code msb.flow.pause})
     */
    public record Options(Duration readyTimeout, long clientBacklog) {
        /** Default {@link #clientBacklog()}: pause at 8 MiB (0311); what was in flight then does not count (0312). */
        public static final long DEFAULT_CLIENT_BACKLOG = 32L * 1024 * 1024;
        public static final Options DEFAULTS = new Options(Duration.ofSeconds(180));

        public Options {
            Objects.requireNonNull(readyTimeout, "readyTimeout");
            if (readyTimeout.isNegative() || readyTimeout.isZero()) {
                throw new IllegalArgumentException("readyTimeout: must be positive");
            }
            if (clientBacklog < 4L * Frame.MAX_FRAME_SIZE) {
                throw new IllegalArgumentException("clientBacklog: must be at least " + 4L * Frame.MAX_FRAME_SIZE
                        + " bytes (four frames)");
            }
        }

        public Options(Duration readyTimeout) {
            this(readyTimeout, DEFAULT_CLIENT_BACKLOG);
        }
    }

    private final AgentTransport agent;
    private final InputStream agentIn;
    private final OutputStream agentOut;
    private final Object agentWriteLock = new Object();
    private final Path listenPath;
    private final ServerSocketChannel server;
    private final byte[] readyFrame;
    private final Core.Ready ready;
    private final long clientBacklog;
    /** Writes flow frames to the agent in the order they were decided, off the agent loop. */
    private final ExecutorService flowWriter = Executors.newSingleThreadExecutor(DaemonThreads.named("msb-relay-flow"));
    /** Fences sent behind the flow frames (numbered in the order the agent reads them) and pongs received. */
    private final Object fenceLock = new Object();
    private long fencesSent;
    private final java.util.concurrent.atomic.AtomicLong fencesAnswered = new java.util.concurrent.atomic.AtomicLong();
    private final RelayOutbox.Fence fence = new RelayOutbox.Fence() {
        @Override
        public long request() {
            synchronized (fenceLock) {
                toAgentInOrder(Codec.encode(MessageType.PING, FENCE_ID, new Core.Ping()));
                return ++fencesSent;
            }
        }

        @Override
        public long answered() {
            return fencesAnswered.get();
        }
    };
    private final Client[] slots = new Client[MAX_CLIENTS];
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean closing;
    /** The exec observer's copy of the exec frames, if one observes. */
    private volatile ExecTap tap;

    private Relay(AgentTransport agent, InputStream agentIn, Frame readyFrame, Path listenPath,
            ServerSocketChannel server, long clientBacklog) {
        this.agent = agent;
        this.clientBacklog = clientBacklog;
        this.agentIn = agentIn;
        this.agentOut = agent.output();
        this.readyFrame = readyFrame.encode();
        this.ready = Codec.decode(readyFrame).payload(Core.Ready.class);
        this.listenPath = listenPath;
        this.server = server;
    }

    /** Connects to the agent's socket (e.g. the VM's private channel) and serves {@code listenPath}. */
    public static Relay start(Path agentSocket, Path listenPath, Options options) throws IOException {
        return start(AgentTransport.unix(agentSocket), listenPath, options);
    }

    /**
     * Waits for the agent's {@code core.ready} (answering {@code core.init.resolved}), then binds
     * {@code listenPath} (replacing a stale socket file) and starts relaying.
     */
    public static Relay start(AgentTransport agent, Path listenPath, Options options) throws IOException {
        InputStream in = new BufferedInputStream(agent.input(), 64 * 1024);
        return serve(agent, in, awaitReady(agent, in, options.readyTimeout()), listenPath, options);
    }

    /**
     * Relays an agent that was already serving another host connection (a VM the runtime reattaches to after a
     * restart). The guest may not notice a quick reconnect on its virtio port and then sends no new
     * {@code core.ready}, while frames for the old connection may still be queued: so the relay sends a
     * {@code core.ping} with an id no client owns and discards everything up to its pong (adopting a
     * {@code core.ready} met on the way). Clients are then given {@code lastReady}, the agent's boot-time ready.
     */
    public static Relay resume(AgentTransport agent, Path listenPath, Core.Ready lastReady, Options options)
            throws IOException {
        InputStream in = new BufferedInputStream(agent.input(), 64 * 1024);
        Frame[] ready = {Codec.encode(MessageType.READY, 0, lastReady)};
        InputStream rest = awaitSync(agent, in, ready, options.readyTimeout());
        return serve(agent, rest, ready[0], listenPath, options);
    }

    private static Relay serve(AgentTransport agent, InputStream in, Frame ready, Path listenPath, Options options)
            throws IOException {
        ServerSocketChannel server = null;
        try {
            Files.createDirectories(listenPath.toAbsolutePath().getParent());
            Files.deleteIfExists(listenPath);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(listenPath));
        } catch (IOException e) {
            agent.close();
            if (server != null) {
                server.close();
            }
            throw new IOException("relay: cannot listen on " + listenPath + ": " + e.getMessage(), e);
        }
        Relay r = new Relay(agent, in, ready, listenPath, server, options.clientBacklog());
        DaemonThreads.start("msb-relay-agent", r::agentLoop);
        DaemonThreads.start("msb-relay-accept", r::acceptLoop);
        return r;
    }

    /** The id of the resume handshake's ping: above every client's range, so no client can own it. */
    static final int SYNC_ID = -1;
    /** The id of the pings that fence the relay's pauses (decision 0312): above every client's range too. */
    static final int FENCE_ID = -2;

    /**
     * Pings and reads up to the pong, which may follow a partial frame of the previous connection (decision
     * 0233); a valid core.ready met on the way replaces {@code ready[0]}. Returns the stream after the pong.
     */
    private static InputStream awaitSync(AgentTransport agent, InputStream in, Frame[] ready, Duration timeout)
            throws IOException {
        synchronized (agent) {
            agent.output().write(Codec.encode(MessageType.PING, SYNC_ID, new Core.Ping()).encode());
            agent.output().flush();
        }
        return withTimeout(agent, timeout, "no core.pong from the agent", () -> Resync.awaitPong(in, SYNC_ID, f -> {
            try {
                Codec.decode(f).payload(Core.Ready.class);
                ready[0] = f;
            } catch (ProtocolException e) {
                LOG.warning("relay: ignoring an invalid core.ready met while resynchronising: " + e.getMessage());
            }
        }));
    }

    private interface Wait<T> {
        T await() throws IOException;
    }

    /** Runs {@code wait}; after {@code timeout} the agent connection is closed, which ends the wait. */
    private static <T> T withTimeout(AgentTransport agent, Duration timeout, String what, Wait<T> wait)
            throws IOException {
        var watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        var timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        watchdog.schedule(() -> {
            timedOut.set(true);
            agent.close();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return wait.await();
        } catch (IOException | RuntimeException e) {
            agent.close();
            if (timedOut.get()) {
                throw new AgentTimeoutException("relay: " + what + " within " + timeout);
            }
            throw e;
        } finally {
            watchdog.shutdownNow();
        }
    }

    private static Frame awaitReady(AgentTransport agent, InputStream in, Duration timeout) throws IOException {
        return withTimeout(agent, timeout, "no core.ready from the agent", () -> {
            while (true) {
                Frame f = Frame.read(in);
                if (f == null) {
                    throw new IOException("relay: agent closed before core.ready");
                }
                Message m = Codec.decode(f);
                if (m.type() == MessageType.READY) {
                    m.payload(Core.Ready.class); // validates before it is cached for every client
                    return f;
                }
                if (m.type() == MessageType.INIT_RESOLVED) {
                    synchronized (agent) {
                        agent.output().write(Codec.encode(MessageType.INIT_ACK, 0, new Core.InitAck()).encode());
                        agent.output().flush();
                    }
                } else {
                    LOG.fine(() -> "relay: discarding pre-ready " + m);
                }
            }
        });
    }

    @Override
    public Core.Ready ready() {
        return ready;
    }

    @Override
    public Path path() {
        return listenPath;
    }

    /** Clients connected now. */
    @Override
    public synchronized int clientCount() {
        int n = 0;
        for (Client c : slots) {
            n += c != null ? 1 : 0;
        }
        return n;
    }

    /**
     * Exec sessions open now across all clients (started, no terminal frame yet): a silent command another
     * client runs is still use of the sandbox (decision 0009).
     */
    @Override
    public synchronized int openExecSessions() {
        int n = 0;
        for (Client c : slots) {
            n += c != null ? c.execSessions.size() : 0;
        }
        return n;
    }

    /** Most frame bytes queued for the exec observer before frames are dropped (and counted) instead. */
    static final long OBSERVER_BACKLOG = 16L * 1024 * 1024;
    /** How long closing waits for the exec observer to take what is queued for it. */
    static final Duration OBSERVER_DRAIN = Duration.ofSeconds(5);

    @Override
    public void observe(ExecObserver observer) {
        ExecTap old;
        synchronized (this) {
            old = tap;
            tap = closing ? null : new ExecTap(observer, OBSERVER_BACKLOG);
        }
        if (old != null) {
            old.finish(Duration.ZERO);
        }
    }

    /** Completes when the relay stops (agent gone or {@link #close()}). */
    @Override
    public CompletionStage<Void> closed() {
        return closed.minimalCompletionStage();
    }

    private void acceptLoop() {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.log(Level.WARNING, "relay: accept failed, stopping", e);
                    close();
                }
                return;
            }
            Client c = admit(ch);
            if (c != null) {
                c.writer = DaemonThreads.start("msb-relay-client-" + c.slot + "-writer", c.outbox);
                DaemonThreads.start("msb-relay-client-" + c.slot, c::readLoop);
            }
        }
    }

    /** Takes a free slot and sends the handshake before any routed frame can reach the client. */
    private synchronized Client admit(SocketChannel ch) {
        for (int slot = 0; slot < MAX_CLIENTS; slot++) {
            if (slots[slot] == null) {
                Client c = new Client(slot, AgentTransport.of(ch));
                try {
                    c.handshake();
                } catch (IOException e) {
                    c.transport.close();
                    return null;
                }
                slots[slot] = c;
                return c;
            }
        }
        LOG.warning("relay: " + MAX_CLIENTS + " clients connected, refusing another");
        try {
            ch.close();
        } catch (IOException ignored) {
            // refusing anyway
        }
        return null;
    }

    private synchronized Client clientFor(int id) {
        long slot = Math.min(Integer.toUnsignedLong(id) / ID_RANGE_STEP, MAX_CLIENTS - 1);
        return slots[(int) slot];
    }

    private synchronized void release(Client c) {
        if (slots[c.slot] == c) {
            slots[c.slot] = null;
        }
    }

    /** Bytes queued for the client in {@code slot} now (0 without one); for tests and diagnostics. */
    public synchronized long queuedFor(int slot) {
        Client c = slots[slot];
        return c == null ? 0 : c.outbox.queued();
    }

    /** Agent → clients, routed by the id slice into each client's queue: never waits for a client. */
    private void agentLoop() {
        try {
            Frame f;
            while ((f = Frame.read(agentIn)) != null) {
                if (f.id() == FENCE_ID) {
                    fencesAnswered.incrementAndGet(); // the agent applied every flow frame sent before it
                    continue;
                }
                Client c = clientFor(f.id());
                if (c == null) {
                    continue;
                }
                ExecTap t = tap;
                if (t != null && c.execSessions.contains(f.id())) {
                    t.fromAgent(f);
                }
                if (f.terminal()) {
                    c.execSessions.remove(f.id());
                }
                c.outbox.offer(f);
            }
            LOG.info("relay: agent closed the connection");
        } catch (IOException e) {
            if (!closing) {
                LOG.log(Level.WARNING, "relay: agent connection failed", e);
            }
        } finally {
            close();
        }
    }

    /** Queues a frame for the agent behind the flow frames decided before it. */
    private void toAgentInOrder(Frame f) {
        try {
            flowWriter.execute(() -> {
                try {
                    toAgent(f);
                } catch (IOException e) {
                    LOG.log(Level.FINE, "relay: agent gone while sending " + f, e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the relay is closing
        }
    }

    private void toAgent(Frame f) throws IOException {
        synchronized (agentWriteLock) {
            agentOut.write(f.encode());
            agentOut.flush();
        }
    }

    /** Stops listening, disconnects every client and closes the agent connection. */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        Client[] all;
        synchronized (this) {
            all = slots.clone();
        }
        for (Client c : all) {
            if (c != null) {
                c.transport.close();
            }
        }
        agent.close();
        flowWriter.shutdownNow();
        ExecTap t = tap;
        if (t != null) {
            t.finish(OBSERVER_DRAIN); // the agent is gone: nothing more comes, what came is recorded
        }
        try {
            Files.deleteIfExists(listenPath);
        } catch (IOException ignored) {
            // a stale socket file is replaced on the next start
        }
        closed.complete(null);
    }

    private final class Client {
        final int slot;
        final long idStart;
        final long idEndExclusive;
        final AgentTransport transport;
        final Set<Integer> execSessions = ConcurrentHashMap.newKeySet();
        final RelayOutbox outbox;
        volatile Thread writer;

        Client(int slot, AgentTransport transport) {
            this.slot = slot;
            this.idStart = slot * ID_RANGE_STEP + 1;
            this.idEndExclusive = slot * ID_RANGE_STEP + ID_RANGE_STEP;
            this.transport = transport;
            this.outbox = new RelayOutbox("client " + slot, transport.output(), clientBacklog,
                    ready.supportsFlowControl(), Relay.this::toAgentInOrder, transport::close, fence);
        }

        synchronized void handshake() throws IOException {
            byte[] head = ByteBuffer.allocate(8).putInt((int) idStart).putInt((int) idEndExclusive).array(); // BE
            OutputStream out = transport.output();
            out.write(head);
            out.write(readyFrame);
            out.flush();
        }

        private void readLoop() {
            InputStream in = new BufferedInputStream(transport.input(), 64 * 1024);
            try {
                Frame f;
                while ((f = Frame.read(in)) != null) {
                    long id = Integer.toUnsignedLong(f.id());
                    boolean shutdownControl = f.shutdown() && id == 0;
                    if (!shutdownControl && (id < idStart || id >= idEndExclusive)) {
                        LOG.warning("relay: client " + slot + " used id " + id + " outside [" + idStart + ", "
                                + idEndExclusive + "), disconnecting it");
                        break;
                    }
                    if (f.sessionStart() && isExecRequest(f)) {
                        execSessions.add(f.id());
                        ExecTap t = tap;
                        if (t != null) {
                            t.request(f);
                        }
                    }
                    if (f.terminal()) {
                        execSessions.remove(f.id());
                    }
                    if (!outbox.fromClient(f)) {
                        toAgent(f);
                    }
                }
            } catch (FrameException e) {
                LOG.warning("relay: client " + slot + " sent a bad frame (" + e.getMessage() + "), disconnecting it");
            } catch (IOException e) {
                LOG.log(Level.FINE, "relay: client " + slot + " read failed", e);
            } finally {
                disconnected();
            }
        }

        private boolean isExecRequest(Frame f) {
            try {
                return Codec.decode(f).type() == MessageType.EXEC_REQUEST;
            } catch (ProtocolException e) {
                return false; // the agent answers malformed frames itself
            }
        }

        private void disconnected() {
            transport.close();
            Thread w = writer;
            if (w != null) {
                w.interrupt();
            }
            try {
                for (Integer id : execSessions) {
                    toAgent(Codec.encode(MessageType.EXEC_SIGNAL, id, new Exec.Signal(SIGKILL)));
                }
                toAgent(Codec.encode(MessageType.RELAY_CLIENT_DISCONNECTED, 0,
                        new Core.RelayClientDisconnected(idStart, idEndExclusive)));
            } catch (IOException e) {
                LOG.log(Level.FINE, "relay: agent gone while announcing a client's departure", e);
            }
            execSessions.clear();
            release(this);
        }
    }
}
