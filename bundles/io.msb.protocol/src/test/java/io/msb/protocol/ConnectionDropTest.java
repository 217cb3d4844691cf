package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.TcpStream;
import io.msb.api.exec.ExecEvent;
import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When the agent goes away, every pending session fails cleanly and nothing hangs. */
class ConnectionDropTest {
    @TempDir
    Path dir;

    @Test
    void everyPendingSessionFailsWhenTheAgentDies() throws Exception {
        Agentd agent = Agentd.start(dir, "--stdio");
        AgentClient client = AgentClient.connect(AgentTransport.of(agent.process), Agentd.OPTIONS);
        List<CompletableFuture<?>> exits = new ArrayList<>();
        List<List<ExecEvent>> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            List<ExecEvent> ev = java.util.Collections.synchronizedList(new ArrayList<>());
            events.add(ev);
            ExecSession s = client.exec(ExecOptions.of("sleep", "600").build(), ev::add);
            exits.add(s.exit().toCompletableFuture());
        }
        assertTrue(client.ping().toNanos() > 0);
        // a read that is stalled mid-stream: its queue is full and nobody reads, which stalls the
        // connection (no per-session flow control in the protocol), so nothing else is asked after it
        Path big = dir.resolve("big.bin");
        Files.write(big, new byte[64 * 1024 * 1024]);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            TcpStream tcp = client.connectTcp("127.0.0.1", server.getLocalPort());
            InputStream read = client.fs().read(big.toString());

            agent.process.destroyForcibly().waitFor();

            for (CompletableFuture<?> exit : exits) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> exit.get(60, TimeUnit.SECONDS));
                assertInstanceOf(AgentClosedException.class, e.getCause());
            }
            for (List<ExecEvent> ev : events) {
                assertInstanceOf(ExecEvent.Failed.class, ev.get(ev.size() - 1), "the listener hears the end");
            }
            assertThrows(IOException.class, () -> {
                byte[] buf = new byte[1 << 20];
                while (read.read(buf) >= 0) {
                    // drain what arrived before the drop, then the failure
                }
            });
            assertThrows(IOException.class, () -> tcp.input().read());
            assertFalse(client.isOpen());
            assertThrows(AgentClosedException.class, client::ping);
            assertThrows(AgentClosedException.class, () -> client.run(ExecOptions.of("true").build()));
            assertEquals(0, client.pendingSessions());
        }
        client.close();
    }

    @Test
    void shutdownEndsTheAgentAndFailsWhatWasRunning() throws Exception {
        Agentd agent = Agentd.start(dir, "--stdio");
        AgentClient client = AgentClient.connect(AgentTransport.of(agent.process), Agentd.OPTIONS);
        ExecSession s = client.exec(ExecOptions.of("sleep", "600").build(), e -> {
        });
        client.shutdown();
        assertTrue(agent.process.waitFor(60, TimeUnit.SECONDS), "agentd exits on core.shutdown");
        assertEquals(0, agent.process.exitValue(), agent.stderrText());
        try {
            assertTrue(s.waitFor(Duration.ofSeconds(60)).signal() > 0, "the exec was killed");
        } catch (AgentClosedException e) {
            // also fine: the connection ended before the exit was reported
        }
        client.close();
    }

    @Test
    void closingTheClientFailsPendingSessions() throws Exception {
        AgentClient client = Agentd.stdio(dir);
        ExecSession s = client.exec(ExecOptions.of("sleep", "600").build(), e -> {
        });
        client.close();
        assertThrows(AgentClosedException.class, () -> s.waitFor(Duration.ofSeconds(60)));
    }

    @Test
    void handshakeTimesOutWhenNothingSpeaks() throws Exception {
        // `cat` never sends core.ready: the client must give up, not hang
        Process cat = new ProcessBuilder("cat").start();
        try {
            AgentClient.Options quick = new AgentClient.Options(Duration.ofMillis(300), Duration.ofSeconds(5), 4);
            assertThrows(AgentTimeoutException.class, () -> AgentClient.connect(AgentTransport.of(cat), quick));
        } finally {
            cat.destroyForcibly();
        }
    }
}
