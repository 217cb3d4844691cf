package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The few fields of {@code /proc/<pid>/stat} that identify a process: its state and its start time in clock
 * ticks since boot. Pid plus start time survives pid reuse, which a pid alone does not.
 */
record ProcStat(long pid, char state, long startTime) {

    boolean running() {
        return state != 'Z' && state != 'X';
    }

    static Optional<ProcStat> read(long pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(pid, Files.readString(Path.of("/proc", Long.toString(pid), "stat"),
                    StandardCharsets.ISO_8859_1)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The command name may hold spaces and parentheses, so fields are counted after its last ')'. */
    static ProcStat parse(long pid, String line) {
        int close = line.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("no command name in /proc/" + pid + "/stat");
        }
        String[] rest = line.substring(close + 1).trim().split(" ");
        // rest[0] is field 3 (state); start time is field 22.
        if (rest.length < 20 || rest[0].length() != 1) {
            throw new IllegalArgumentException("short /proc/" + pid + "/stat");
        }
        return new ProcStat(pid, rest[0].charAt(0), Long.parseLong(rest[19]));
    }

    /** Whether the process with this pid is still the one identified by {@code startTime} and not a zombie. */
    static boolean isAlive(long pid, long startTime) {
        return read(pid).filter(s -> s.startTime() == startTime && s.running()).isPresent();
    }
}
