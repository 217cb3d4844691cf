package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process named by pid and its start time (field 22 of {@code /proc/<pid>/stat}, clock ticks since boot): a reused
 * pid has another start time, so a VM is never confused with whatever runs under its old pid.
 */
final class ProcessIdentity {
    private ProcessIdentity() {
    }

    /** The start time of a running (not zombie) process, or empty. */
    static OptionalLong startTime(long pid) {
        if (pid <= 0) {
            return OptionalLong.empty();
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.ISO_8859_1);
            // The command name, in parentheses, may itself hold spaces and parentheses: count after the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (fields.length < 20 || fields[0].equals("Z") || fields[0].equals("X")) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Long.parseLong(fields[19]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    static boolean alive(long pid, long startTime) {
        OptionalLong now = startTime(pid);
        return now.isPresent() && now.getAsLong() == startTime;
    }
}
