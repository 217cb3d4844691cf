package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecResult;
import io.msb.protocol.internal.Codec;
import io.msb.protocol.internal.Relay;
import java.io.DataInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay in front of a real agentd --listen socket, with several clients. */
class RelayTest extends AgentdRelayFixture {
    @BeforeEach
    void start() throws Exception {
        startRelay(Relay.Options.DEFAULTS);
    }

    @Test
    void handshakeIsIdRangeThenCachedReadyFrame() throws Exception {
        try (AgentTransport t = AgentTransport.unix(relay.path())) {
            DataInputStream in = new DataInputStream(t.input());
            long start = Integer.toUnsignedLong(in.readInt());
            long end = Integer.toUnsignedLong(in.readInt());
            assertEquals(1, start);
            assertEquals(Relay.ID_RANGE_STEP, end);
            Frame ready = Frame.read(in);
            Message m = Codec.decode(ready);
            assertEquals(MessageType.READY, m.type());
            assertEquals(relay.ready(), m.payload(Core.Ready.class));
        }
    }

    @Test
    void resumeServesAnAgentThatSendsNoNewReady() throws Exception {
        relay.close();
        relay = null;
        // The agent already said ready on this connection and has an exec in flight: like a VM whose guest did
        // not notice that the host end of its port was replaced.
        AgentTransport t = AgentTransport.unix(vmSocket());
        Frame first = Frame.read(t.input());
        assertEquals(MessageType.READY, Codec.decode(first).type());
        Core.Ready booted = new Core.Ready(1, 2, 3, "boot-time");
        t.output().write(Codec.encode(MessageType.PING, 7, new Core.Ping()).encode()); // its pong is stale traffic
        t.output().flush();

        relay = Relay.resume(t, relaySocket(), booted, Relay.Options.DEFAULTS);

        assertEquals(booted, relay.ready());
        try (AgentClient client = AgentClient.connectRelay(relay.path(), AgentClient.Options.DEFAULTS)) {
            assertEquals(booted, client.ready());
            assertEquals("resumed\n", client.run(io.msb.api.exec.ExecOptions.of("echo", "resumed").build()).stdoutText());
        }
    }

    @Test
    void clientsGetDisjointRangesAndWorkConcurrently() throws Exception {
        try (AgentClient a = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
                AgentClient b = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            assertTrue(a.idEndExclusive() <= b.idStart() || b.idEndExclusive() <= a.idStart(),
                    "disjoint: " + a.idStart() + ".." + b.idStart());
            assertEquals(relay.ready(), a.ready());
            List<CompletableFuture<ExecResult>> runs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                AgentClient c = i % 2 == 0 ? a : b;
                String word = "w" + i;
                runs.add(CompletableFuture.supplyAsync(() -> c.run(ExecOptions.of("echo", word).build())));
            }
            for (int i = 0; i < 20; i++) {
                assertEquals("w" + i + "\n", runs.get(i).get(60, TimeUnit.SECONDS).stdoutText());
            }
            byte[] data = new byte[5 * 1024 * 1024];
            new java.util.Random(3).nextBytes(data);
            String path = dir.resolve("via-relay.bin").toString();
            a.fs().write(path, data);
            assertArrayEquals(data, b.fs().readAllBytes(path));
            assertEquals(2, relay.clientCount());
        }
    }

    @Test
    void departedClientsExecIsKilledAndAnnounced() throws Exception {
        CompletableFuture<Long> pid = new CompletableFuture<>();
        AgentClient a = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
        a.exec(ExecOptions.of("sleep", "600").build(), e -> {
            if (e instanceof ExecEvent.Started s) {
                pid.complete(s.pid());
            }
        });
        long p = pid.get(60, TimeUnit.SECONDS);
        try (AgentClient b = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            assertEquals(0, b.run(ExecOptions.of("kill", "-0", Long.toString(p)).build()).exit().code());
            a.close();
            int code = 0;
            for (int i = 0; i < 600 && code == 0; i++) {
                Thread.sleep(20);
                code = b.run(ExecOptions.of("kill", "-0", Long.toString(p)).build()).exit().code();
            }
            assertNotEquals(0, code, "the departed client's sleep was killed");
            for (int i = 0; i < 500 && relay.clientCount() != 1; i++) {
                Thread.sleep(10);
            }
            assertEquals(1, relay.clientCount());
        }
    }

    @Test
    void clientUsingAnotherClientsIdsIsDisconnected() throws Exception {
        try (AgentClient good = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
                AgentTransport t = AgentTransport.unix(relay.path())) {
            DataInputStream in = new DataInputStream(t.input());
            long start = Integer.toUnsignedLong(in.readInt());
            in.readInt();
            Frame.read(in);
            assertNotEquals(good.idStart(), start);
            // an id in the good client's range
            t.output().write(Codec.encode(MessageType.PING, (int) good.idStart(), new Core.Ping()).encode());
            assertNull(Frame.read(in), "the relay hangs up on the offender");
            assertTrue(good.ping().toNanos() > 0, "other clients are unaffected");
        }
    }

    @Test
    void oversizedFrameFromAClientDropsOnlyThatClient() throws Exception {
        try (AgentClient good = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
                AgentTransport t = AgentTransport.unix(relay.path())) {
            DataInputStream in = new DataInputStream(t.input());
            in.readInt();
            in.readInt();
            Frame.read(in);
            t.output().write(new byte[] { 0x7f, 0, 0, 0, 0, 0, 0, 1, 0 });
            assertThrows(java.io.IOException.class, () -> {
                if (Frame.read(in) == null) {
                    throw new java.io.EOFException("closed");
                }
            });
            assertTrue(good.ping().toNanos() > 0);
        }
    }

    @Test
    void relayStopsWhenTheAgentGoes() throws Exception {
        AgentClient a = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
        var exit = a.exec(ExecOptions.of("sleep", "600").build(), e -> {
        }).exit().toCompletableFuture();
        agent.process.destroyForcibly().waitFor();
        relay.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
        var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> exit.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof AgentClosedException, e.getCause().toString());
        a.close();
    }
}
