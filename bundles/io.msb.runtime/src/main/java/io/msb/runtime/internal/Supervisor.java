package io.msb.runtime.internal;

import io.msb.api.TerminationReason;
import io.msb.api.spi.DaemonThreads;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces idle timeouts and maximum durations of running sandboxes, and notices crashed VMs without waiting for
 * a read. Activity comes from the agent itself: {@code core.touch} returns the agent's activity sequence, which
 * every host message and every chunk of exec output, file or TCP data advances, so a sequence that moved by more
 * than our own touch means the sandbox was used. A command still running through any relay client is never idle.
 * The limits travel with the {@link LiveVm}, so the periodic pass reads no store; a VM whose agent connection
 * closes is looked at at once ({@link #agentGone}), the periodic pass being the backstop. A paused VM is checked
 * for being alive and for its maximum duration only (decision 1223).
 */
final class Supervisor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
    /** After the agent connection closed, how often and how many times to look whether the VM process ended. */
    private static final long EXIT_POLL_MILLIS = 50;
    private static final int EXIT_POLLS = 40;

    /** What the supervisor needs from the runtime. */
    interface Sandboxes {
        Map<String, LiveVm> live();

        void end(String name, TerminationReason reason);

        void reconcile(String name);

        /** Once a pass for each running VM (the runtime copies its kernel console into its log). */
        default void running(String name) {
        }

        /** A paused VM's agent answers nothing and its idle timeout does not run (decision 1223). */
        default boolean paused(String name) {
            return false;
        }
    }

    private record Activity(long seq, Instant changedAt) {
    }

    private final Sandboxes sandboxes;
    private final Map<String, Activity> activity = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = DaemonThreads.scheduler("msb-supervisor");

    /** {@code first} runs once on the supervisor's thread before the first check (the runtime's recovery). */
    Supervisor(Runnable first, Sandboxes sandboxes, Duration interval) {
        this.sandboxes = sandboxes;
        timer.execute(first);
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One pass over the live VMs; touches no store unless a VM died or a limit ends a run. */
    void check() {
        Instant now = Instant.now();
        activity.keySet().retainAll(sandboxes.live().keySet());
        sandboxes.live().forEach((name, vm) -> {
            try {
                check(name, vm, now);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "supervising " + name + " failed", e);
            }
        });
    }

    /**
     * The agent connection of {@code vm} closed (its relay stopped): if the VM is still the live one of
     * {@code name} and its process ends within a short while, the crash is recorded now rather than at the next
     * pass. A VM that keeps running without its agent is left to the next connection (which reattaches).
     */
    void agentGone(String name, LiveVm vm) {
        schedule(() -> awaitExit(name, vm, EXIT_POLLS), 0);
    }

    private void awaitExit(String name, LiveVm vm, int polls) {
        if (sandboxes.live().get(name) != vm) {
            return; // stopped, removed or replaced on purpose: whoever did it recorded it
        }
        if (!vm.vm().alive()) {
            sandboxes.reconcile(name);
        } else if (polls > 0) {
            schedule(() -> awaitExit(name, vm, polls - 1), EXIT_POLL_MILLIS);
        }
    }

    /** Runs {@code task} on the supervisor's thread, after what was queued before it; a failure is logged. */
    void later(Runnable task) {
        schedule(task, 0, "a runtime task on the supervisor's thread failed");
    }

    private void schedule(Runnable task, long delayMillis) {
        schedule(task, delayMillis, "supervising a closed agent connection failed");
    }

    /** Runs {@code task} on the supervisor's thread after the delay (0: after what was queued before it). */
    private void schedule(Runnable task, long delayMillis, String failure) {
        try {
            timer.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, failure, e);
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed: the runtime is going away
        }
    }

    private void check(String name, LiveVm vm, Instant now) {
        if (!vm.vm().alive()) {
            sandboxes.reconcile(name);
            return;
        }
        sandboxes.running(name);
        LiveVm.Limits limits = vm.limits();
        if (limits.maxDuration() != null && limits.runStartedAt().plus(limits.maxDuration()).isBefore(now)) {
            sandboxes.end(name, TerminationReason.MAX_DURATION_EXCEEDED);
            return;
        }
        if (sandboxes.paused(name)) {
            activity.remove(name); // after the resume the idle time counts from the first pass
            return;
        }
        if (limits.idleTimeout() == null || !vm.agent().isOpen()) {
            return;
        }
        long seq = vm.agent().touch();
        Activity last = activity.get(name);
        boolean busy = vm.relay().openExecSessions() > 0 || vm.agent().pendingSessions() > 0;
        if (last == null || busy || seq > last.seq() + 1) {
            activity.put(name, new Activity(seq, now));
        } else {
            activity.put(name, new Activity(seq, last.changedAt()));
            if (last.changedAt().plus(limits.idleTimeout()).isBefore(now)) {
                sandboxes.end(name, TerminationReason.IDLE_TIMEOUT);
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
