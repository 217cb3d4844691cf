package io.msb.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.exec.ExecOptions;
import io.msb.api.exec.ExecSession;
import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentTransport;
import io.msb.protocol.Agentd;
import io.msb.protocol.internal.HeartbeatReader.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seeds' heartbeat cases (microsandbox runtime heartbeat.rs), on a synthetic clock, plus the real agentd. */
class HeartbeatReaderTest {
    private static final long S = 1_000_000_000L;
    private static final Duration IDLE = Duration.ofSeconds(60);
    private static final Duration STALE = Duration.ofSeconds(5);
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("heartbeat.json");
    }

    private void write(long heartbeatSeq, long activitySeq, int execs) throws Exception {
        Files.writeString(file(), "{\"heartbeat_seq\":" + heartbeatSeq + ",\"activity_seq\":" + activitySeq
                + ",\"timestamp\":\"2026-01-01T00:00:00Z\",\"last_activity\":\"2026-01-01T00:00:00Z\","
                + "\"active_exec_sessions\":" + execs + ",\"active_fs_streams\":0,\"active_tcp_streams\":0,"
                + "\"activity_counters\":{\"host_messages\":1,\"guest_messages\":1,\"exec_output_bytes\":0,"
                + "\"fs_bytes\":0,\"tcp_bytes\":0}}");
    }

    @Test
    void clearStaleRemovesPreviousRunFiles() throws Exception {
        write(1, 1, 0);
        Files.writeString(dir.resolve("heartbeat.json.tmp"), "stale");
        HeartbeatReader.clearStale(file());
        assertFalse(Files.exists(file()));
        assertFalse(Files.exists(dir.resolve("heartbeat.json.tmp")));
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        assertEquals(State.PENDING_BOOT, r.check(S, IDLE, STALE, Duration.ofSeconds(2)).state());
    }

    /** The state at {@code seconds} with the usual idle timeout and stale budget, and no boot grace. */
    private static State stateAt(HeartbeatReader r, long seconds) {
        return r.check(seconds * S, IDLE, STALE, Duration.ZERO).state();
    }

    /** A reader that saw a first heartbeat (counting {@code execs} running execs) at 0 s, which is ACTIVE. */
    private HeartbeatReader firstHeartbeat(int execs, Duration idle) throws Exception {
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        write(1, 1, execs);
        assertEquals(State.ACTIVE, r.check(0, idle, STALE, Duration.ZERO).state());
        return r;
    }

    /**
     * Two minutes in which the heartbeat goes on but the activity sequence stands still: the first heartbeat is
     * ACTIVE at 0 s; the decision at 120 s, after a second heartbeat, is returned.
     */
    private HeartbeatReader.Decision twoMinutesWithoutActivity(int execs, Duration idle) throws Exception {
        HeartbeatReader r = firstHeartbeat(execs, idle);
        write(2, 1, execs);
        return r.check(120 * S, idle, STALE, Duration.ZERO);
    }

    @Test
    void runningExecPreventsIdleDespiteStaleActivitySequence() throws Exception {
        assertEquals(State.ACTIVE, twoMinutesWithoutActivity(1, IDLE).state());
    }

    @Test
    void noExecIsIdleWhenActivitySequenceIsStale() throws Exception {
        HeartbeatReader.Decision d = twoMinutesWithoutActivity(0, IDLE);
        assertEquals(State.IDLE, d.state());
        assertEquals(Duration.ofSeconds(120), d.status().idleFor());
        assertEquals(Duration.ZERO, d.status().heartbeatStaleFor());
    }

    @Test
    void noIdleTimeoutKeepsFreshInactiveSandboxActive() throws Exception {
        assertEquals(State.ACTIVE, twoMinutesWithoutActivity(0, null).state());
    }

    @Test
    void activityResetsTheIdleClock() throws Exception {
        HeartbeatReader r = firstHeartbeat(0, IDLE);
        write(2, 2, 0);
        assertEquals(State.ACTIVE, stateAt(r, 59));
        write(3, 2, 0);
        assertEquals(State.ACTIVE, stateAt(r, 118));
        write(4, 2, 0);
        assertEquals(State.IDLE, stateAt(r, 119));
    }

    @Test
    void staleHeartbeatWithRunningExecIsUnresponsiveAfterTheBudgetIsConfirmed() throws Exception {
        HeartbeatReader r = firstHeartbeat(1, IDLE);
        // stale beyond the budget once: only noted
        assertEquals(State.ACTIVE, stateAt(r, 6));
        // and still stale a budget later: unresponsive
        assertEquals(State.AGENT_UNRESPONSIVE, stateAt(r, 12));
    }

    @Test
    void freshHeartbeatClearsTheStaleConfirmation() throws Exception {
        HeartbeatReader r = firstHeartbeat(0, IDLE);
        assertEquals(State.ACTIVE, stateAt(r, 6));
        write(2, 1, 0);
        assertEquals(State.ACTIVE, stateAt(r, 7));
        // stale again from 7s: noted at 13s, confirmed only at 18s
        assertEquals(State.ACTIVE, stateAt(r, 13));
        assertEquals(State.ACTIVE, stateAt(r, 17));
        assertEquals(State.AGENT_UNRESPONSIVE, stateAt(r, 18));
    }

    @Test
    void withoutStaleBudgetAStaleHeartbeatIsNeverUnresponsive() throws Exception {
        // the seeds' later policy: a busy-but-quiet agent is healthy
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        write(1, 1, 1);
        assertEquals(State.ACTIVE, r.check(0, IDLE, null, null).state());
        assertEquals(State.ACTIVE, r.check(3600 * S, IDLE, null, null).state());
        write(1, 1, 0);
        assertEquals(State.ACTIVE, r.check(3601 * S, null, null, null).state());
    }

    @Test
    void missingHeartbeatBecomesUnresponsiveAfterBootGrace() {
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        assertEquals(State.PENDING_BOOT, r.check(S, IDLE, STALE, Duration.ofSeconds(2)).state());
        assertEquals(State.AGENT_UNRESPONSIVE, r.check(3 * S, IDLE, STALE, Duration.ofSeconds(2)).state());
    }

    @Test
    void missingHeartbeatWithoutBootGraceStaysPendingBoot() {
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        assertEquals(State.PENDING_BOOT, r.check(3600 * S, IDLE, STALE, null).state());
    }

    @Test
    void hostileFilesAreIgnored() throws Exception {
        Files.writeString(file(), "{\"heartbeat_seq\":-1,\"activity_seq\":1,\"active_exec_sessions\":0,"
                + "\"active_fs_streams\":0,\"active_tcp_streams\":0}");
        assertNull(HeartbeatReader.read(file()), "negative sequence");
        Files.writeString(file(), "{\"heartbeat_seq\":1}");
        assertNull(HeartbeatReader.read(file()), "missing fields");
        Files.write(file(), new byte[HeartbeatReader.MAX_FILE_BYTES + 1]);
        assertNull(HeartbeatReader.read(file()), "oversized");
        Files.writeString(file(), "{\"heartbeat_seq\":1,");
        assertNull(HeartbeatReader.read(file()), "truncated");
        HeartbeatReader r = new HeartbeatReader(file(), 0);
        assertEquals(State.PENDING_BOOT, r.check(S, IDLE, STALE, Duration.ofSeconds(2)).state());
    }

    @Test
    void realAgentHeartbeatCountsRunningExecs() throws Exception {
        Agentd.binary();
        Path hb = dir.resolve("hb.json");
        Agentd agent = Agentd.start(dir, "--stdio", "--heartbeat", hb.toString());
        try (AgentClient c = AgentClient.connect(AgentTransport.of(agent.process), Agentd.OPTIONS)) {
            ExecSession s = c.exec(ExecOptions.of("sleep", "30").build(), e -> {
            });
            HeartbeatReader r = new HeartbeatReader(hb);
            HeartbeatReader.Decision d = null;
            for (int i = 0; i < 300; i++) {
                d = r.check(Duration.ofMillis(1), Duration.ofSeconds(30), Duration.ofSeconds(60));
                if (d.status().activeExecSessions() > 0) {
                    break;
                }
                Thread.sleep(50);
            }
            assertNotNull(d);
            assertEquals(1, d.status().activeExecSessions(), "heartbeat shows the running exec: " + d);
            assertEquals(State.ACTIVE, d.state(), "a running exec is never idle");
            s.signal(9);
            s.waitFor(Duration.ofSeconds(30));
            for (int i = 0; i < 300 && d.state() != State.IDLE; i++) {
                Thread.sleep(50);
                d = r.check(Duration.ofMillis(1), Duration.ofSeconds(30), Duration.ofSeconds(60));
            }
            assertEquals(State.IDLE, d.state(), "idle once the exec is gone: " + d);
            assertTrue(d.status().heartbeatSeq() >= 1);
        } finally {
            agent.close();
        }
    }
}
