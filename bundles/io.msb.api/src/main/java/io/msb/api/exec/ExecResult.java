package io.msb.api.exec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The collected outcome of a command. */
public record ExecResult(ExecExit exit, byte[] stdout, byte[] stderr, Duration duration) {
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
