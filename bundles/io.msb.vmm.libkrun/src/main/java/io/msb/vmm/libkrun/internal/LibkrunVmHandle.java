package io.msb.vmm.libkrun.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import io.msb.api.MsbException;
import io.msb.api.spi.VmHandle;

/**
 * One krun-launcher process (the VM runs inside it), named by pid and start time. {@code process} is the launched
 * process when this JVM started it, null after a reattach.
 */
final class LibkrunVmHandle implements VmHandle {
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);

    private final long pid;
    private final long startTime;
    private final Process process;
    private final VmFiles files;
    private boolean detached;

    LibkrunVmHandle(long pid, long startTime, Process process, VmFiles files) {
        this.pid = pid;
        this.startTime = startTime;
        this.process = process;
        this.files = files;
        this.detached = process == null;
    }

    @Override
    public long pid() {
        return pid;
    }

    long startTime() {
        return startTime;
    }

    @Override
    public Path agentChannel() {
        return files.agentSocket();
    }

    @Override
    public boolean alive() {
        return ProcessIdentity.alive(pid, startTime);
    }

    @Override
    public void terminate(Duration grace) {
        signal(false);
        try {
            if (waitFor(grace).isEmpty() && alive()) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    @Override
    public void kill() {
        signal(true);
        try {
            waitFor(KILL_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (alive()) {
            throw new MsbException("libkrun VM process " + pid + " survived SIGKILL for " + KILL_WAIT.toSeconds()
                    + " s");
        }
    }

    @Override
    public OptionalInt waitFor(Duration timeout) throws InterruptedException {
        if (process != null) {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return OptionalInt.empty();
            }
            cleanup();
            return OptionalInt.of(process.exitValue());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive()) { // not our child: its status goes to its parent
            if (System.nanoTime() >= deadline) {
                return OptionalInt.empty();
            }
            Thread.sleep(20);
        }
        cleanup();
        return OptionalInt.empty();
    }

    /** Tells the launcher's lifetime watcher {@code detach}: from now on the VM outlives this JVM. Idempotent. */
    @Override
    public synchronized void detach() {
        if (detached) {
            return;
        }
        try {
            OutputStream pipe = process.getOutputStream();
            pipe.write("detach\n".getBytes(StandardCharsets.US_ASCII));
            pipe.close();
        } catch (IOException e) {
            throw new MsbException("cannot detach libkrun VM process " + pid + ": " + e.getMessage(), e);
        }
        detached = true;
    }

    /** The kernel log's last lines (guest output: bounded, stripped of control characters). */
    @Override
    public List<String> consoleTail(int maxLines) {
        return LogLines.tail(files.consoleLog(), maxLines);
    }

    private void signal(boolean force) {
        if (alive()) { // checked just before: a pid with another start time belongs to someone else now
            ProcessHandle.of(pid).ifPresent(h -> {
                if (force) {
                    h.destroyForcibly();
                } else {
                    h.destroy();
                }
            });
        }
    }

    /** Once the VM is gone its socket and record are stale (the logs stay), unless a newer VM owns the directory. */
    private void cleanup() {
        if (alive() || VmRecord.read(files.record()).filter(r -> r.pid() != pid || r.startTime() != startTime)
                .isPresent()) {
            return;
        }
        for (Path p : List.of(files.agentSocket(), files.record())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // replaced on the next start
            }
        }
    }

    @Override
    public String toString() {
        return "libkrun[pid=" + pid + ", agent=" + files.agentSocket() + "]";
    }
}
