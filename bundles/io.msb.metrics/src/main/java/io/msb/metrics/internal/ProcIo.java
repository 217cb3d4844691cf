package io.msb.metrics.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A VM process's storage traffic from {@code /proc/<pid>/io} (read_bytes, write_bytes): what its disks cost the host.
 * Read only when the process is this sandbox's VM (its command line names the sandbox's directory): a remote backend's
 * pid means nothing here.
 */
record ProcIo(long readBytes, long writeBytes) {
    static Optional<ProcIo> read(long pid, String sandbox) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
            if (pid <= 0 || !cmdline.contains("/sandboxes/" + sandbox + "/")) {
                return Optional.empty();
            }
            return parse(Files.readString(proc.resolve("io"), StandardCharsets.US_ASCII));
        } catch (IOException | SecurityException e) {
            return Optional.empty(); // gone, or not readable by us
        }
    }

    static Optional<ProcIo> parse(String text) {
        long read = -1;
        long write = -1;
        for (String line : text.split("\n")) {
            if (line.startsWith("read_bytes:")) {
                read = Long.parseLong(line.substring(11).strip());
            } else if (line.startsWith("write_bytes:")) {
                write = Long.parseLong(line.substring(12).strip());
            }
        }
        return read < 0 || write < 0 ? Optional.empty() : Optional.of(new ProcIo(read, write));
    }
}
