package io.msb.vmm.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import io.msb.api.MsbException;
import io.msb.api.spi.VmHandle;

/**
 * One QEMU process, identified by pid and start time so that a reused pid is never signalled. {@code process}
 * is the launched process when this JVM started the VM (the watcher wrapper for attached VMs, QEMU itself for
 * detached ones; either way its exit status is QEMU's), or null after a reattach.
 */
final class QemuVmHandle implements VmHandle {
    private static final long POLL_MILLIS = 20;
    private static final Duration KILL_WAIT = Duration.ofSeconds(30);
    /** How long a pause, resume or status query may take, connection included (QEMU's main loop answers). */
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);

    private final long pid;
    private final long startTime;
    private final Process process;
    private final QemuCommand.Paths paths;
    /** The user QEMU runs as when it is not this process's (decision 0811), or null. */
    private final String runAs;
    /** The launcher lets QEMU outlive this JVM; true for every VM found again by a later process. */
    private volatile boolean detached;

    QemuVmHandle(long pid, long startTime, Process process, QemuCommand.Paths paths, String runAs) {
        this.pid = pid;
        this.startTime = startTime;
        this.process = process;
        this.paths = paths;
        this.runAs = runAs;
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
        return paths.vmSocket();
    }

    Path qmpSocket() {
        return paths.qmpSocket();
    }

    @Override
    public boolean alive() {
        return ProcStat.isAlive(pid, startTime);
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
            throw new MsbException("QEMU process " + pid + " survived SIGKILL for " + KILL_WAIT.toSeconds() + " s");
        }
    }

    @Override
    public OptionalInt waitFor(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (process != null) {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                cleanup();
                return OptionalInt.of(process.exitValue());
            }
            return OptionalInt.empty();
        }
        // Not our child: poll until the identified process is gone; its status went to its parent.
        while (alive()) {
            if (System.nanoTime() >= deadline) {
                return OptionalInt.empty();
            }
            Thread.sleep(POLL_MILLIS);
        }
        cleanup();
        return OptionalInt.empty();
    }

    /** QMP {@code stop}: the vCPUs halt before the answer comes, so the guest is frozen once this returns. */
    @Override
    public void pause() {
        qmp("stop", Qmp::command);
    }

    /** QMP {@code cont}. */
    @Override
    public void resume() {
        qmp("cont", Qmp::command);
    }

    /**
     * QMP {@code query-status} says {@code paused}, or {@code postmigrate} after its state was saved: a VM paused by
     * an earlier process is seen as such.
     */
    @Override
    public boolean paused() {
        String status = qmp("query-status", (q, c) -> q.status());
        return status.equals("paused") || status.equals("postmigrate");
    }

    /** See {@link StateSaver}: the VM stays paused afterwards. */
    @Override
    public long saveState(Path file) {
        if (!alive()) {
            throw new MsbException("QEMU process " + pid + " is gone: cannot save its state");
        }
        try {
            return new StateSaver(paths.qmpSocket(), paths.stateDir(), runAs, this::alive).save(file);
        } catch (IOException e) {
            throw new MsbException("saving the state of QEMU process " + pid + " failed: " + e.getMessage(), e);
        }
    }

    private interface QmpCall {
        String on(Qmp qmp, String command) throws IOException;
    }

    /** One short monitor session (QEMU serves one client at a time; the runtime holds the sandbox's lock). */
    private String qmp(String command, QmpCall call) {
        if (!alive()) {
            throw new MsbException("QEMU process " + pid + " is gone: cannot " + command);
        }
        try (Qmp qmp = Qmp.connect(paths.qmpSocket(), System.nanoTime() + QMP_TIMEOUT.toNanos(), this::alive)) {
            qmp.handshake();
            return call.on(qmp, command);
        } catch (IOException e) {
            throw new MsbException("QMP " + command + " on QEMU process " + pid + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Tells the launcher {@code detach} (its watcher then lets QEMU outlive this JVM) and records it; a reattached
     * VM, whose launcher this JVM does not own, was detached already.
     */
    @Override
    public synchronized void detach() {
        if (process != null && !detached) {
            try (java.io.OutputStream pipe = process.getOutputStream()) {
                pipe.write("detach\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new MsbException("cannot detach QEMU process " + pid + ": " + e.getMessage(), e);
            }
        }
        detached = true;
        rewriteState(paths, VmState.read(paths.stateFile()).map(VmState::sandboxName).orElse(""));
    }

    /** Rewrites {@code vm.properties} in the new directory under the new name (decision 1260). */
    @Override
    public VmHandle movedTo(String sandboxName, Path stateDir) {
        QemuCommand.Paths moved = QemuCommand.Paths.of(stateDir);
        QemuVmHandle handle = new QemuVmHandle(pid, startTime, process, moved, runAs);
        handle.detached = detached;
        handle.rewriteState(moved, sandboxName);
        return handle;
    }

    private void rewriteState(QemuCommand.Paths at, String sandboxName) {
        try {
            new VmState(sandboxName, pid, startTime, detached).write(at.stateFile());
        } catch (IOException e) {
            throw new MsbException("cannot record QEMU process " + pid + " in " + at.stateFile() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public List<String> consoleTail(int maxLines) {
        return LogTail.lastLines(paths.kernelLog(), maxLines);
    }

    List<String> qemuLogTail(int maxLines) {
        return LogTail.lastLines(paths.qemuLog(), maxLines);
    }

    private void signal(boolean force) {
        // Checked just before signalling: a pid whose start time differs now belongs to someone else.
        if (alive()) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (force) {
                    h.destroyForcibly();
                } else {
                    h.destroy();
                }
            });
        }
    }

    /** Once QEMU is gone its sockets and state file are stale; the logs stay for diagnosis. */
    void cleanup() {
        if (alive() || VmState.read(paths.stateFile())
                .filter(s -> s.pid() != pid || s.startTime() != startTime).isPresent()) {
            return; // still running, or the state directory already belongs to a newer VM
        }
        for (Path p : List.of(paths.vmSocket(), paths.qmpSocket(), paths.consoleFifo(), paths.stateFile())) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // Stale files are replaced on the next start.
            }
        }
    }

    @Override
    public String toString() {
        return "qemu[pid=" + pid + ", agent=" + paths.vmSocket() + "]";
    }
}
