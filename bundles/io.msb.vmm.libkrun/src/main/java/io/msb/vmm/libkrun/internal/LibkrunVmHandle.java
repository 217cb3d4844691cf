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
    private static final int LAUNCHER_LINES = 5;

    /** What vm.properties records of this VM: the sandbox, the launcher's pid and its start time. */
    private final VmRecord identity;
    private final Process process;
    private final VmFiles files;
    private boolean detached;

    LibkrunVmHandle(VmRecord identity, Process process, VmFiles files) {
        this.identity = identity;
        this.process = process;
        this.files = files;
        this.detached = process == null;
    }

    @Override
    public long pid() {
        return identity.pid();
    }

    @Override
    public Path agentChannel() {
        return files.agentSocket();
    }

    @Override
    public boolean alive() {
        return ProcessIdentity.alive(identity.pid(), identity.startTime());
    }

    /** SIGTERM (libkrun's default disposition ends the process), then SIGKILL once {@code grace} is over. */
    @Override
    public void terminate(Duration grace) {
        running().ifPresent(ProcessHandle::destroy);
        boolean ended = false;
        try {
            ended = awaitEnd(grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // then no more waiting: straight to SIGKILL
        }
        if (!ended) {
            kill();
        }
    }

    @Override
    public void kill() {
        running().ifPresent(ProcessHandle::destroyForcibly);
        try {
            if (awaitEnd(KILL_WAIT)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (alive()) {
            throw new MsbException("libkrun VM process " + identity.pid() + " outlived SIGKILL by " + KILL_WAIT.toSeconds() + " s");
        }
    }

    /** The exit status only when this JVM started the launcher; a reattached VM's status goes to its parent. */
    @Override
    public OptionalInt waitFor(Duration timeout) throws InterruptedException {
        if (!awaitEnd(timeout)) {
            return OptionalInt.empty();
        }
        return process == null ? OptionalInt.empty() : OptionalInt.of(process.waitFor());
    }

    /** The process, if it is still this VM: a pid whose start time differs belongs to someone else now. */
    private java.util.Optional<ProcessHandle> running() {
        return alive() ? ProcessHandle.of(identity.pid()) : java.util.Optional.empty();
    }

    /** Whether the VM ended within {@code timeout}; then its socket and record are removed. */
    private boolean awaitEnd(Duration timeout) throws InterruptedException {
        boolean ended = process != null ? process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)
                : pollUntilGone(System.nanoTime() + timeout.toNanos());
        if (ended) {
            cleanup();
        }
        return ended;
    }

    private boolean pollUntilGone(long deadline) throws InterruptedException {
        while (alive()) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
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
            throw new MsbException("cannot detach libkrun VM process " + identity.pid() + ": " + e.getMessage(), e);
        }
        detached = true;
    }

    /**
     * The kernel log's last lines (guest output: bounded, stripped of control characters). Once the VM is gone, the
     * launcher's own last words follow ({@code krun_start_enter failed: ...}): the launcher says "started" before
     * libkrun has checked everything, so a VM that never ran is explained only there.
     */
    @Override
    public List<String> consoleTail(int maxLines) {
        List<String> console = LogLines.tail(files.consoleLog(), maxLines);
        if (alive()) {
            return console;
        }
        List<String> launcher = LogLines.tail(files.launcherLog(), Math.min(LAUNCHER_LINES, maxLines));
        List<String> all = new java.util.ArrayList<>(console);
        launcher.forEach(line -> all.add("krun-launcher: " + line));
        return all.subList(Math.max(0, all.size() - maxLines), all.size());
    }

    /** Once the VM is gone its socket and record are stale (the logs stay), unless a newer VM owns the directory. */
    private void cleanup() {
        if (alive() || VmRecord.read(files.record()).filter(r -> !r.equals(identity)).isPresent()) {
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
        return "libkrun[pid=" + identity.pid() + ", agent=" + files.agentSocket() + "]";
    }
}
