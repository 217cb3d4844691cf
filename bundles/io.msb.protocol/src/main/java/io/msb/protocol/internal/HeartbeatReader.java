package io.msb.protocol.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.msb.api.Check;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Host-side idle and liveness decision from the agent's heartbeat file, which the agent
 * rewrites (atomically) every second. Ages are host-observed: how long since the heartbeat
 * sequence, and the activity sequence, last changed. Not thread-safe: one monitor calls it.
 */
public final class HeartbeatReader {
    /** Largest heartbeat file read; anything bigger is treated as unreadable. */
    public static final int MAX_FILE_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    public enum State {
        /** No heartbeat yet and the boot grace has not run out. */
        PENDING_BOOT,
        /** Not idle (or the heartbeat is stale but the stale budget is not spent yet). */
        ACTIVE,
        /** No activity for the idle timeout and no exec running. */
        IDLE,
        /** No heartbeat after the boot grace, or the heartbeat stayed stale beyond the stale budget. */
        AGENT_UNRESPONSIVE
    }

    /** What the host observed; ages are null until the sequence was seen once. */
    public record Status(Long heartbeatSeq, Long activitySeq, int activeExecSessions, int activeFsStreams,
            int activeTcpStreams, Duration heartbeatStaleFor, Duration idleFor) {
    }

    public record Decision(State state, Status status) {
    }

    /** The fields of the agent's heartbeat.json this decision uses (the rest is ignored). */
    public record Heartbeat(long heartbeatSeq, long activitySeq, int activeExecSessions, int activeFsStreams,
            int activeTcpStreams) {
        public Heartbeat {
            Check.nonNegative("heartbeat_seq", heartbeatSeq);
            Check.nonNegative("activity_seq", activitySeq);
            Check.nonNegative("active_exec_sessions", activeExecSessions);
            Check.nonNegative("active_fs_streams", activeFsStreams);
            Check.nonNegative("active_tcp_streams", activeTcpStreams);
        }
    }

    private final Path file;
    private final long createdAt;
    private Heartbeat last;
    private Long heartbeatSeq;
    private long heartbeatSeenAt;
    private Long activitySeq;
    private long activitySeenAt;
    private Long staleConfirmedAt;

    public HeartbeatReader(Path file) {
        this(file, System.nanoTime());
    }

    HeartbeatReader(Path file, long createdAtNanos) {
        this.file = file;
        this.createdAt = createdAtNanos;
    }

    public Path file() {
        return file;
    }

    /**
     * Reads the file and decides.
     *
     * @param idleTimeout idle after this long without activity; null: never idle
     * @param staleBudget unresponsive once the heartbeat has been stale this long, confirmed for
     *        as long again; null: a stale heartbeat never makes the agent unresponsive
     * @param bootGrace unresponsive if no heartbeat appeared within this long; null: wait forever
     */
    public Decision check(Duration idleTimeout, Duration staleBudget, Duration bootGrace) {
        return check(System.nanoTime(), idleTimeout, staleBudget, bootGrace);
    }

    Decision check(long now, Duration idleTimeout, Duration staleBudget, Duration bootGrace) {
        Heartbeat hb = read(file);
        if (hb != null) {
            observe(hb, now);
        }
        Status status = status(now);
        if (heartbeatSeq == null) {
            boolean graceOver = bootGrace != null && now - createdAt >= bootGrace.toNanos();
            return new Decision(graceOver ? State.AGENT_UNRESPONSIVE : State.PENDING_BOOT, status);
        }
        if (staleBudget != null && now - heartbeatSeenAt >= staleBudget.toNanos()) {
            if (staleConfirmedAt == null) {
                staleConfirmedAt = now;
            }
            boolean confirmed = now - staleConfirmedAt >= staleBudget.toNanos();
            return new Decision(confirmed ? State.AGENT_UNRESPONSIVE : State.ACTIVE, status);
        }
        staleConfirmedAt = null;
        if (status.activeExecSessions() > 0) {
            return new Decision(State.ACTIVE, status); // a running exec is never idle
        }
        if (idleTimeout != null && now - activitySeenAt >= idleTimeout.toNanos()) {
            return new Decision(State.IDLE, status);
        }
        return new Decision(State.ACTIVE, status);
    }

    private void observe(Heartbeat hb, long now) {
        if (heartbeatSeq == null || heartbeatSeq != hb.heartbeatSeq()) {
            heartbeatSeq = hb.heartbeatSeq();
            heartbeatSeenAt = now;
            staleConfirmedAt = null;
        }
        if (activitySeq == null || activitySeq != hb.activitySeq()) {
            activitySeq = hb.activitySeq();
            activitySeenAt = now;
        }
        last = hb;
    }

    private Status status(long now) {
        return new Status(heartbeatSeq, activitySeq, last == null ? 0 : last.activeExecSessions(),
                last == null ? 0 : last.activeFsStreams(), last == null ? 0 : last.activeTcpStreams(),
                heartbeatSeq == null ? null : Duration.ofNanos(now - heartbeatSeenAt),
                activitySeq == null ? null : Duration.ofNanos(now - activitySeenAt));
    }

    /** Parses a heartbeat file; null when it is missing, too big or not a valid heartbeat (yet). */
    public static Heartbeat read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            return bytes.length > MAX_FILE_BYTES ? null : parse(bytes);
        } catch (IOException e) {
            return null;
        }
    }

    /** Parses the bytes of a heartbeat file; null when they are not a valid heartbeat (the fuzzed entry point). */
    public static Heartbeat parse(byte[] bytes) {
        try {
            return JSON.readValue(bytes, Heartbeat.class);
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Removes a previous run's heartbeat file (and its temporary sibling) so it is not mistaken for a live one. */
    public static void clearStale(Path file) throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".tmp"));
    }
}
