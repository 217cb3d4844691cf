package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import io.msb.api.Check;
import io.msb.api.exec.ExecFailureKind;
import java.util.List;

/** Payloads of the {@code core.exec.*} messages. */
public final class Exec {
    private Exec() {
    }

    /** {@code core.exec.request}. Missing optional fields take the defaults (rows 24, cols 80). */
    public record Request(String cmd, List<String> args, List<String> env, String cwd, String user, Boolean tty,
            Integer rows, Integer cols, List<Rlimit> rlimits) {
        public Request {
            Check.maxLength("cmd", Check.required("cmd", cmd), 4096);
            args = Check.strings("args", args, 65536, 1 << 20);
            env = Check.strings("env", env, 65536, 1 << 20);
            tty = tty != null && tty;
            rows = rows == null ? 24 : Check.range("rows", rows, 0, 0xffff);
            cols = cols == null ? 80 : Check.range("cols", cols, 0, 0xffff);
            rlimits = List.copyOf(rlimits == null ? List.of() : Check.maxSize("rlimits", rlimits, 64));
        }
    }

    public record Rlimit(String resource, long soft, long hard) {
        public Rlimit {
            Check.maxLength("resource", Check.required("resource", resource), 32);
            if (Long.compareUnsigned(soft, hard) > 0) {
                throw new IllegalArgumentException("soft: must not exceed hard");
            }
        }
    }

    public record Started(long pid) {
        public Started {
            Check.range("pid", pid, 1, 0xffffffffL);
        }
    }

    /** Stdin chunk; empty data closes the process's stdin. */
    public record Stdin(byte[] data) {
        public Stdin {
            Check.required("data", data);
        }
    }

    public record StdinError(Integer errno, String errnoName, String message) {
        public StdinError {
            Check.maxLength("message", Check.required("message", message), 64 * 1024);
            if (errnoName != null) {
                Check.maxLength("errno_name", errnoName, 64);
            }
        }
    }

    public record Stdout(byte[] data) {
        public Stdout {
            Check.required("data", data);
        }
    }

    public record Stderr(byte[] data) {
        public Stderr {
            Check.required("data", data);
        }
    }

    /**
     * {@code core.exec.exited}. {@code signal} is an msb extension (absent for microsandbox agents,
     * which report -1 for a signal death); when set, code is 128 + signal.
     */
    public record Exited(int code, @JsonInclude(JsonInclude.Include.NON_DEFAULT) Integer signal) {
        public Exited {
            signal = signal == null ? 0 : Check.range("signal", signal, 0, 64);
        }

        public Exited(int code) {
            this(code, 0);
        }
    }

    public record Failed(FailureKind kind, Integer errno, String errnoName, String message, String stage) {
        public Failed {
            Check.required("kind", kind);
            Check.maxLength("message", Check.required("message", message), 64 * 1024);
            if (errnoName != null) {
                Check.maxLength("errno_name", errnoName, 64);
            }
            if (stage != null) {
                Check.maxLength("stage", stage, 256);
            }
        }
    }

    /** Why a process could not start; an unknown kind from a newer agent reads as OTHER. */
    public enum FailureKind {
        NOT_FOUND(ExecFailureKind.NOT_FOUND), PERMISSION_DENIED(ExecFailureKind.PERMISSION_DENIED),
        NOT_EXECUTABLE(ExecFailureKind.NOT_EXECUTABLE), BAD_CWD(ExecFailureKind.BAD_CWD),
        BAD_ARGS(ExecFailureKind.BAD_ARGS), RESOURCE_LIMIT(ExecFailureKind.RESOURCE_LIMIT),
        USER_SETUP_FAILED(ExecFailureKind.USER_SETUP_FAILED), OUT_OF_MEMORY(ExecFailureKind.OUT_OF_MEMORY),
        PTY_SETUP_FAILED(ExecFailureKind.PTY_SETUP_FAILED), OTHER(ExecFailureKind.OTHER);

        private final ExecFailureKind api;

        FailureKind(ExecFailureKind api) {
            this.api = api;
        }

        public ExecFailureKind api() {
            return api;
        }

        @JsonValue
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        @JsonCreator
        public static FailureKind fromWire(String wire) {
            for (FailureKind k : values()) {
                if (k.wire().equals(wire)) {
                    return k;
                }
            }
            return OTHER;
        }
    }

    public record Resize(int rows, int cols) {
        public Resize {
            Check.range("rows", rows, 0, 0xffff);
            Check.range("cols", cols, 0, 0xffff);
        }
    }

    public record Signal(int signal) {
        public Signal {
            Check.range("signal", signal, 1, 64);
        }
    }
}
