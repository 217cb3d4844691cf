package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.msb.api.Check;
import io.msb.api.InvalidConfigException;

/** Payloads of the {@code core.*} messages (field names become snake_case on the wire). */
public final class Core {
    private Core() {
    }

    /**
     * {@code core.ready}: the agent is up; boot timings in ns of CLOCK_BOOTTIME. {@code flowControl} is
     * an msb extension (decision 0310): the agent honours {@code msb.flow.pause/resume}; absent means no.
     */
    public record Ready(long bootTimeNs, long initTimeNs, long readyTimeNs,
            @JsonInclude(JsonInclude.Include.NON_EMPTY) String agentVersion,
            @JsonInclude(JsonInclude.Include.NON_NULL) Boolean flowControl) {
        public Ready {
            Check.nonNegative("boot_time_ns", bootTimeNs);
            Check.nonNegative("init_time_ns", initTimeNs);
            Check.nonNegative("ready_time_ns", readyTimeNs);
            agentVersion = agentVersion == null ? "" : Check.maxLength("agent_version", agentVersion, 256);
        }

        public Ready(long bootTimeNs, long initTimeNs, long readyTimeNs, String agentVersion) {
            this(bootTimeNs, initTimeNs, readyTimeNs, agentVersion, null);
        }

        /** Whether the agent announced per-session pause/resume. */
        public boolean supportsFlowControl() {
            return Boolean.TRUE.equals(flowControl);
        }
    }

    /** {@code msb.flow.pause} and {@code msb.flow.resume}: empty; the id names the session. */
    public record Flow() {
    }

    /**
     * {@code msb.identity.apply} (msb extension, decision 1240): what a running guest changes to stop being a copy of
     * the memory image it was restored from. agentd checks every field before it applies any (a refused message changes
     * nothing) and answers {@code core.error} ({@code invalid_payload}) naming the field and the rule.
     *
     * @param bootstrap the fields to change, in {@link GuestBootstrap}'s encoding: {@code hostname}, {@code default_env}
     *        (replaces the last one), {@code user}, {@code default_cwd}, {@code network} (eth0 moves to the new address,
     *        gateway, MTU and MAC; resolv.conf and /etc/hosts follow) and tmpfs {@code mounts}; absent or empty fields
     *        stay as they are; {@code rlimits} and {@code handoff_init} are refused
     * @param seed {@value #MIN_SEED} to {@value #MAX_SEED} random bytes mixed into the guest's RNG, whose CRNG then
     *        reseeds (null: none)
     * @param unixTimeNanos the wall clock the guest steps to, ns since the epoch (null: unchanged)
     */
    public record IdentityApply(GuestBootstrap bootstrap, @JsonInclude(JsonInclude.Include.NON_NULL) byte[] seed,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long unixTimeNanos) {
        public static final int MIN_SEED = 32;
        public static final int MAX_SEED = 512;

        public IdentityApply {
            Check.required("bootstrap", bootstrap);
            if (seed != null && (seed.length < MIN_SEED || seed.length > MAX_SEED)) {
                throw new InvalidConfigException("seed", "seed must be " + MIN_SEED + " to " + MAX_SEED
                        + " bytes, is " + seed.length);
            }
            if (unixTimeNanos != null) {
                Check.nonNegative("unix_time_nanos", unixTimeNanos);
            }
        }
    }

    /** {@code msb.identity.applied} (msb extension, decision 1240): empty; the id is the apply's. */
    public record IdentityApplied() {
    }

    public record Ping() {
    }

    public record Pong() {
    }

    public record Touch() {
    }

    public record Touched(long activitySeq) {
        public Touched {
            Check.nonNegative("activity_seq", activitySeq);
        }
    }

    public record ClockSync(long unixTimeNanos) {
    }

    public record InitAck() {
    }

    public record ResolvedUser(long uid, long gid) {
        public ResolvedUser {
            Check.u32("uid", uid);
            Check.u32("gid", gid);
        }
    }

    public record InitResolved(ResolvedUser defaultUser) {
        public InitResolved {
            Check.required("default_user", defaultUser);
        }
    }

    /** {@code core.relay.client.disconnected}: the relay client owning [idStart, idEndExclusive) left. */
    public record RelayClientDisconnected(long idStart, long idEndExclusive) {
        public RelayClientDisconnected {
            Check.u32("id_start", idStart);
            Check.u32("id_end_exclusive", idEndExclusive);
        }
    }

    /** {@code core.error}: a recoverable error about the message with the same id. */
    public record Error(ErrorKind kind, String message,
            @JsonInclude(JsonInclude.Include.NON_NULL) String offendingType) {
        public Error {
            Check.required("kind", kind);
            Check.maxLength("message", Check.required("message", message), 64 * 1024);
            if (offendingType != null) {
                Check.maxLength("offending_type", offendingType, 256);
            }
        }
    }

    public enum ErrorKind {
        MALFORMED_MESSAGE, UNSUPPORTED_MESSAGE_TYPE, UNSUPPORTED_PROTOCOL_GENERATION, INVALID_FLAGS,
        INVALID_PAYLOAD, INVALID_SESSION,
        /**
         * msb extension (decision 1240): a checked {@code msb.identity.apply} failed in the guest (a mount, an ioctl);
         * the message names the step, and the steps before it stay applied.
         */
        APPLY_FAILED;

        @JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        public static ErrorKind fromWire(String wire) {
            for (ErrorKind k : values()) {
                if (k.wire().equals(wire)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("kind: unknown core.error kind '" + wire + "'");
        }
    }
}
