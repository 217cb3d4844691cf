package io.msb.runtime.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.msb.api.exec.ExecExit;
import io.msb.api.exec.ExecOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code logs/exec.log}: one JSON line per finished command (what ran, as whom, how it ended, how long). */
final class ExecLog {
    private static final System.Logger LOG = System.getLogger(ExecLog.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    ExecLog(Path sandboxDir) {
        this.file = sandboxDir.resolve("logs/exec.log");
    }

    void exited(ExecOptions options, Instant started, ExecExit exit) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", started.toString());
        line.put("command", options.command());
        line.put("user", options.user());
        line.put("cwd", options.cwd());
        line.put("tty", options.tty());
        line.put("exitCode", exit.code());
        line.put("signal", exit.signal());
        line.put("durationMs", Duration.between(started, Instant.now()).toMillis());
        try {
            byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND); // one append: lines never interleave
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot append to " + file, e);
        }
    }
}
