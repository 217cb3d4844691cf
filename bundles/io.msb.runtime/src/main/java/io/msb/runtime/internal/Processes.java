package io.msb.runtime.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Liveness and termination of VM processes known only by pid (they may belong to an earlier host process). */
final class Processes {
    private static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private Processes() {
    }

    /** True if the pid names a process that has not exited; a zombie counts as exited. */
    static boolean alive(long pid) {
        if (pid <= 0) {
            return false;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        return handle.isPresent() && handle.get().isAlive() && !zombie(pid);
    }

    /** SIGTERM, then SIGKILL when {@code grace} has passed; returns once the process is gone or unkillable. */
    static void terminate(long pid, Duration grace) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !alive(pid)) {
            return;
        }
        handle.get().destroy();
        if (!awaitExit(pid, grace)) {
            kill(pid);
        }
    }

    /** SIGKILL and wait briefly for the process to disappear. */
    static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        awaitExit(pid, KILL_WAIT);
    }

    /** The VM's parent, its launcher (decision 0804), unless that is init or this JVM. */
    static Optional<ProcessHandle> parentOf(long pid) {
        return ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
                .filter(p -> p.pid() > 1 && p.pid() != ProcessHandle.current().pid());
    }

    /** Waits (bounded) for a process to exit, e.g. a VM launcher that still writes its last files. */
    static void awaitExit(ProcessHandle process) {
        try {
            process.onExit().get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // gone or stuck: the directory is renamed before it is deleted, so a straggler cannot break that
        }
    }

    private static boolean awaitExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !alive(pid);
            }
        }
        return true;
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')'); // the command name may itself contain ')' or spaces
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return false; // no /proc entry: ProcessHandle already decided
        }
    }
}
