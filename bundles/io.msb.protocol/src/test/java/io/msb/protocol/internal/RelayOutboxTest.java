package io.msb.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.protocol.Exec;
import io.msb.protocol.Frame;
import io.msb.protocol.MessageType;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The relay's per-client queue without threads: its writer never runs, as for a client that reads nothing, and
 * the agent is a list of the flow frames sent to it plus a fence whose answer the test gives (decision 0312).
 */
class RelayOutboxTest {
    private static final long LIMIT = 32L << 20;
    private static final int ID = 7;
    private static final byte[] CHUNK = new byte[256 * 1024];

    private final List<Frame> toAgent = new ArrayList<>();
    private final AtomicBoolean hungUp = new AtomicBoolean();
    private long fencesSent;
    private long fencesAnswered;

    private final RelayOutbox.Fence fence = new RelayOutbox.Fence() {
        @Override
        public long request() {
            return ++fencesSent;
        }

        @Override
        public long answered() {
            return fencesAnswered;
        }
    };

    private RelayOutbox outbox(boolean flowControl) {
        return new RelayOutbox("client 0", OutputStream.nullOutputStream(), LIMIT, flowControl, toAgent::add,
                () -> hungUp.set(true), fence);
    }

    private static Frame stdout(int id) {
        return Codec.encode(MessageType.EXEC_STDOUT, id, new Exec.Stdout(CHUNK));
    }

    /** Offers stdout chunks of {@code id} until {@code bytes} more are queued or the client was dropped. */
    private void offer(RelayOutbox o, int id, long bytes) {
        long until = o.queued() + bytes;
        while (o.queued() < until && !hungUp.get()) {
            o.offer(stdout(id));
        }
    }

    private List<MessageType> flowSent() {
        return toAgent.stream().map(f -> Codec.decode(f).type()).toList();
    }

    @Test
    void outputTheAgentSentBeforeItReadThePauseDoesNotDropTheClient() {
        RelayOutbox o = outbox(true);
        offer(o, ID, 9L << 20);
        assertEquals(List.of(MessageType.FLOW_PAUSE), flowSent(), "paused past a quarter of the backlog");

        // The pause is on its way (the relay's flow thread, QEMU, the guest) while the agent goes on at full speed:
        // under load that was more than the 24 MiB between the pause mark and the backlog, and the client was
        // dropped though its session was paused (the ExecIT flake).
        offer(o, ID, 30L << 20);
        assertTrue(o.queued() > LIMIT, "past the backlog: " + o.queued());
        assertFalse(hungUp.get(), "output sent before the agent knew of the pause keeps the client");
        assertEquals(1, fencesSent, "the pause is fenced, once");

        // The agent answered the fence: it has applied the pause, so more output of that session is misbehaviour.
        fencesAnswered = 1;
        o.offer(stdout(ID));
        assertTrue(hungUp.get(), "an agent that sends on a session it confirmed paused gets the client dropped");
    }

    @Test
    void theSessionsEndStillArrivesAfterTheFence() {
        RelayOutbox o = outbox(true);
        offer(o, ID, LIMIT + (1L << 20));
        fencesAnswered = fencesSent;
        o.offer(Codec.encode(MessageType.EXEC_EXITED, ID, new Exec.Exited(0, null)));
        assertFalse(hungUp.get(), "the exit of a paused session is no output");
    }

    @Test
    void anAgentThatNeverAnswersTheFenceIsBoundedByAnotherBacklog() {
        RelayOutbox o = outbox(true);
        offer(o, ID, 3 * LIMIT);
        assertTrue(hungUp.get(), "memory stays bounded against an agent that ignores the fence");
        assertTrue(o.queued() <= 2 * LIMIT + Frame.MAX_FRAME_SIZE, "queued " + o.queued());
    }

    @Test
    void withoutFlowControlTheClientIsDroppedPastTheBacklog() {
        RelayOutbox o = outbox(false);
        offer(o, ID, LIMIT - (1L << 20));
        assertFalse(hungUp.get());
        offer(o, ID, 2L << 20);
        assertTrue(hungUp.get());
        assertEquals(List.of(), flowSent(), "nothing to pause with");
        assertEquals(0, fencesSent);
    }

    @Test
    void aSessionTheClientPausedIsFencedWithoutASecondPause() {
        RelayOutbox o = outbox(true);
        assertTrue(o.fromClient(Codec.encode(MessageType.FLOW_PAUSE, ID, new io.msb.protocol.Core.Flow())));
        offer(o, ID, LIMIT + (4L << 20));
        assertFalse(hungUp.get());
        assertEquals(List.of(MessageType.FLOW_PAUSE), flowSent(), "only the client's own pause went to the agent");
        assertEquals(1, fencesSent, "but the relay fenced it before counting the session against the backlog");
        // The client's resume is held while the relay's own pause stands.
        assertTrue(o.fromClient(Codec.encode(MessageType.FLOW_RESUME, ID, new io.msb.protocol.Core.Flow())));
        assertEquals(List.of(MessageType.FLOW_PAUSE), flowSent());
    }
}
