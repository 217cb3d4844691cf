package io.msb.api.exec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A command to run in a sandbox.
 *
 * @param command program and arguments; the program is looked up on the guest's PATH
 * @param env extra environment variables
 * @param cwd working directory, or null for the sandbox's
 * @param user user (name or uid[:gid]), or null for the sandbox's
 * @param tty run under a pseudo-terminal of {@code rows}×{@code cols}
 * @param rows terminal rows (tty only)
 * @param cols terminal columns (tty only)
 * @param stdin bytes written to stdin before it is closed, or null to leave stdin to the caller (streaming)
 * @param rlimits resource limits
 * @param timeout kill the process after this long, or null for no limit
 */
public record ExecOptions(List<String> command, Map<String, String> env, String cwd, String user, boolean tty,
        int rows, int cols, byte[] stdin, List<Rlimit> rlimits, Duration timeout) {

    public ExecOptions {
        command = List.copyOf(Objects.requireNonNull(command, "command"));
        env = Map.copyOf(env == null ? Map.of() : env);
        rlimits = List.copyOf(rlimits == null ? List.of() : rlimits);
    }

    public static Builder of(String... command) {
        return new Builder(List.of(command));
    }

    public static Builder of(List<String> command) {
        return new Builder(command);
    }

    public static final class Builder {
        private final List<String> command;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String cwd;
        private String user;
        private boolean tty;
        private int rows = 24;
        private int cols = 80;
        private byte[] stdin;
        private final List<Rlimit> rlimits = new ArrayList<>();
        private Duration timeout;

        private Builder(List<String> command) {
            this.command = command;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder cwd(String cwd) {
            this.cwd = cwd;
            return this;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder tty(int rows, int cols) {
            this.tty = true;
            this.rows = rows;
            this.cols = cols;
            return this;
        }

        public Builder stdin(byte[] stdin) {
            this.stdin = stdin;
            return this;
        }

        public Builder rlimit(Rlimit rlimit) {
            rlimits.add(rlimit);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public ExecOptions build() {
            return new ExecOptions(command, env, cwd, user, tty, rows, cols, stdin, rlimits, timeout);
        }
    }
}
