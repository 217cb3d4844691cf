package io.msb.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.protocol.internal.Relay;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay's exec observer sees every client's sessions, against a real agentd. */
class RelayObserverTest extends AgentdRelayFixture {
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final Map<Integer, ByteArrayOutputStream> out = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        startRelay(Relay.Options.DEFAULTS).observe(new ExecObserver() {
            @Override
            public void started(int session, Exec.Request request) {
                events.add("started " + request.cmd() + " tty=" + Boolean.TRUE.equals(request.tty()));
            }

            @Override
            public void output(int session, boolean stderr, byte[] data) {
                out.computeIfAbsent(stderr ? -session : session, s -> new ByteArrayOutputStream()).writeBytes(data);
            }

            @Override
            public void ended(int session) {
                events.add("ended");
            }

            @Override
            public void dropped(long bytes) {
                events.add("dropped " + bytes);
            }
        });
    }

    @Test
    void everyClientsExecOutputIsSeenInOrderAndWhatWasQueuedSurvivesTheClose() throws Exception {
        int a;
        int b;
        try (AgentClient one = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS);
                AgentClient two = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            assertEquals(3, one.run(ExecOptions.of("sh", "-c", "echo one; echo bad >&2; exit 3").build()).exit().code());
            two.run(ExecOptions.of("sh", "-c", "seq 1 20000").build());
            a = (int) one.idStart();
            b = (int) two.idStart();
        }
        relay.close(); // delivers what is still queued for the observer before it returns
        assertEquals("one\n", text(a));
        assertEquals("bad\n", text(-a));
        StringBuilder seq = new StringBuilder();
        for (int i = 1; i <= 20000; i++) {
            seq.append(i).append('\n');
        }
        assertEquals(seq.toString(), text(b), "every chunk, in order");
        assertEquals(List.of("started sh tty=false", "ended", "started sh tty=false", "ended"), events);
    }

    @Test
    void terminalSessionsAreMarked() throws Exception {
        try (AgentClient c = AgentClient.connectRelay(relay.path(), Agentd.OPTIONS)) {
            c.run(ExecOptions.of("echo", "hi").tty(24, 80).build());
        }
        relay.close();
        assertTrue(events.contains("started echo tty=true"), events.toString());
    }

    private String text(int key) {
        ByteArrayOutputStream b = out.get(key);
        return b == null ? "" : b.toString(StandardCharsets.UTF_8);
    }
}
