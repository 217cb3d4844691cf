package io.msb.runtime.internal;

import io.msb.api.SandboxSpec;
import io.msb.api.TerminationReason;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces idle timeouts and maximum durations of running sandboxes, and notices crashed VMs without waiting for
 * a read. Activity comes from the agent itself: {@code core.touch} returns the agent's activity sequence, which
 * every host message and every chunk of exec output, file or TCP data advances, so a sequence that moved by more
 * than our own touch means the sandbox was used. A command still running through the runtime is never idle.
 */
final class Supervisor implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());

    /** What the supervisor needs from the runtime. */
    interface Sandboxes {
        Map<String, LiveVm> live();

        SandboxSpec spec(String name);

        Instant runStartedAt(String name);

        void end(String name, TerminationReason reason);

        void reconcile(String name);
    }

    private record Activity(long seq, Instant changedAt) {
    }

    private final Sandboxes sandboxes;
    private final Map<String, Activity> activity = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "msb-supervisor");
        t.setDaemon(true);
        return t;
    });

    /** {@code first} runs once on the supervisor's thread before the first check (the runtime's recovery). */
    Supervisor(Runnable first, Sandboxes sandboxes, Duration interval) {
        this.sandboxes = sandboxes;
        timer.execute(first);
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

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

    private void check(String name, LiveVm vm, Instant now) {
        if (!vm.vm().alive() || !vm.agent().isOpen()) {
            sandboxes.reconcile(name);
            return;
        }
        SandboxSpec spec = sandboxes.spec(name);
        if (spec.maxDuration() != null && sandboxes.runStartedAt(name).plus(spec.maxDuration()).isBefore(now)) {
            sandboxes.end(name, TerminationReason.MAX_DURATION_EXCEEDED);
            return;
        }
        if (spec.idleTimeout() == null) {
            return;
        }
        long seq = vm.agent().touch();
        Activity last = activity.get(name);
        boolean busy = vm.agent().pendingSessions() > 0;
        if (last == null || busy || seq > last.seq() + 1) {
            activity.put(name, new Activity(seq, now));
        } else {
            activity.put(name, new Activity(seq, last.changedAt()));
            if (last.changedAt().plus(spec.idleTimeout()).isBefore(now)) {
                sandboxes.end(name, TerminationReason.IDLE_TIMEOUT);
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
