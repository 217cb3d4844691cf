package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.internal.Codec;
import io.msb.protocol.internal.Relay;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A relay client that does not read delays no other client (decision 0311): against an agent with flow control
 * its sessions are paused and it loses nothing; against one without, it is disconnected past its backlog.
 */
class RelayBackpressureTest extends AgentdRelayFixture {
    /** seq 1 N: about 21 MB, far more than the socket buffers, the pause mark and the agent's backlog. */
    private static final int LINES = 3_000_000;
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A raw client (as microsandbox's SDK is) that starts {@code seq 1 lines} and then reads nothing. */
    private record RawClient(AgentTransport t, DataInputStream in, int id, int slot) implements AutoCloseable {
        static RawClient execSeq(Relay relay, int lines) throws IOException {
            AgentTransport t = AgentTransport.unix(relay.path());
            DataInputStream in = new DataInputStream(t.input());
            int id = in.readInt();
            in.readInt();
            assertEquals(MessageType.READY, Codec.decode(Frame.read(in)).type());
            Exec.Request seq = new Exec.Request("seq", List.of("1", String.valueOf(lines)), null, null, null, null,
                    null, null, null);
            t.output().write(Codec.encode(MessageType.EXEC_REQUEST, id, seq).encode());
            t.output().flush();
            return new RawClient(t, in, id, (int) ((Integer.toUnsignedLong(id) - 1) / Relay.ID_RANGE_STEP));
        }

        /**
         * Reads the session to its end: stdout into {@code out}, the exit into {@code exit[0]}; returns the pid.
         * A stream that ends (a dropped client may be cut inside a frame) ends the session without an exit.
         */
        long drain(ByteArrayOutputStream out, ExecExit[] exit) throws IOException {
            long pid = -1;
            while (true) {
                Frame f;
                try {
                    f = Frame.read(in);
                } catch (FrameException e) {
                    f = null;
                }
                if (f == null) {
                    break;
                }
                Message m = Codec.decode(f);
                if (f.id() != id) {
                    continue;
                }
                if (m.type() == MessageType.EXEC_STARTED) {
                    pid = m.payload(Exec.Started.class).pid();
                } else if (m.type() == MessageType.EXEC_STDOUT) {
                    out.writeBytes(m.payload(Exec.Stdout.class).data());
                } else if (m.type() == MessageType.EXEC_EXITED) {
                    Exec.Exited x = m.payload(Exec.Exited.class);
                    exit[0] = new ExecExit(x.code(), x.signal() == null ? 0 : x.signal());
                    break;
                }
            }
            return pid;
        }

        @Override
        public void close() {
            t.close();
        }
    }

    /** agentd creates its socket file (bind) just before it listens. */
    private static AgentTransport connectWhenListening(Path socket) throws Exception {
        for (int i = 0;; i++) {
            try {
                return AgentTransport.unix(socket);
            } catch (IOException e) {
                if (i == 500) {
                    throw e;
                }
                Thread.sleep(10);
            }
        }
    }

    private void awaitBacklog(RawClient c, long bytes) throws InterruptedException {
        for (int i = 0; i < 6000 && relay.queuedFor(c.slot()) < bytes; i++) {
            Thread.sleep(10);
        }
        assertTrue(relay.queuedFor(c.slot()) >= bytes, "the stalled client's queue filled: " + relay.queuedFor(c.slot()));
    }

    private static void secondExecRunsInFull(AgentClient good) {
        for (int i = 0; i < 3; i++) {
            ExecResult second = good.run(ExecOptions.of("echo", "second").build());
            assertEquals("second\n", second.stdoutText(), "full output beside a stalled client");
            assertEquals(new ExecExit(0, 0), second.exit());
            assertTrue(good.ping().toNanos() > 0);
        }
    }

    @Test
    void aClientThatNeverReadsIsPausedAndLosesNothing() throws Exception {
        // a backlog below the exec's output: only the pause keeps the client connected
        long backlog = 16L * 1024 * 1024;
        startRelay(new Relay.Options(WAIT, backlog));
        assertTrue(relay.ready().supportsFlowControl());
        long pauseMark = backlog / 4;
        try (RawClient stalled = RawClient.execSeq(relay, LINES);
                AgentClient good = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            awaitBacklog(stalled, pauseMark);
            secondExecRunsInFull(good);
            assertEquals(2, relay.clientCount(), "a paused client stays connected");
            assertTrue(relay.queuedFor(stalled.slot()) < backlog);

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ExecExit[] exit = new ExecExit[1];
            assertTrue(stalled.drain(out, exit) > 0);
            assertEquals(new ExecExit(0, 0), exit[0]);
            byte[] expected = FlowControlTest.seq(LINES);
            assertEquals(expected.length, out.size(), "every byte reaches the client once it reads");
            assertArrayEquals(FlowControlTest.sha256(expected), FlowControlTest.sha256(out.toByteArray()));
        }
    }

    @Test
    void withoutFlowControlOnlyTheStalledClientIsDisconnected() throws Exception {
        // An agent that did not announce flow_control (an older agentd): the relay resumes a connection whose
        // ready it already consumed, handing out a ready without the field.
        AgentTransport t = connectWhenListening(vmSocket());
        assertEquals(MessageType.READY, Codec.decode(Frame.read(t.input())).type());
        long backlog = 16L * 1024 * 1024;
        relay = Relay.resume(t, relaySocket(), new Core.Ready(1, 2, 3, "no-flow-control"),
                new Relay.Options(WAIT, backlog));
        assertFalse(relay.ready().supportsFlowControl());
        try (RawClient stalled = RawClient.execSeq(relay, LINES);
                AgentClient good = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ExecExit[] exit = new ExecExit[1];
            for (int i = 0; i < 6000 && relay.clientCount() == 2; i++) {
                Thread.sleep(10);
            }
            assertEquals(1, relay.clientCount(), "the client more than " + backlog + " bytes behind was dropped");
            secondExecRunsInFull(good);
            long pid = stalled.drain(out, exit);
            assertEquals(null, exit[0], "the dropped client's stream ends without the exit");
            assertTrue(out.size() < FlowControlTest.seq(LINES).length);
            int code = 0;
            for (int i = 0; i < 600 && code == 0; i++) {
                code = good.run(ExecOptions.of("kill", "-0", Long.toString(pid)).build()).exit().code();
                Thread.sleep(code == 0 ? 20 : 0);
            }
            assertNotEquals(0, code, "the dropped client's exec was killed");
        }
    }

    @Test
    void theClientsOwnPausesAreKeptAcrossTheRelaysResume() throws Exception {
        startRelay(Relay.Options.DEFAULTS);
        CountDownLatch stall = new CountDownLatch(1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (AgentClient a = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
                AgentClient good = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            ExecSession slow = a.exec(ExecOptions.of("seq", "1", String.valueOf(LINES)).build(), e -> {
                if (e instanceof ExecEvent.Stdout o) {
                    try {
                        stall.await(); // the client reads, its consumer does not: the client pauses the session
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                    out.writeBytes(o.data());
                }
            });
            try {
                secondExecRunsInFull(good);
                secondExecRunsInFull(a);
                assertFalse(slow.exit().toCompletableFuture().isDone(), "paused by its own client");
                assertEquals(2, relay.clientCount());
            } finally {
                stall.countDown();
            }
            assertEquals(new ExecExit(0, 0), slow.waitFor(WAIT));
            byte[] expected = FlowControlTest.seq(LINES);
            assertEquals(expected.length, out.size());
            assertArrayEquals(FlowControlTest.sha256(expected), FlowControlTest.sha256(out.toByteArray()));
        }
    }
}
