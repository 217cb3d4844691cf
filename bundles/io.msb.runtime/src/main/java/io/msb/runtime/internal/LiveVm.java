package io.msb.runtime.internal;

import io.msb.api.SandboxSpec;
import io.msb.api.spi.VmHandle;
import io.msb.protocol.AgentClient;
import io.msb.protocol.AgentRelay;
import java.time.Duration;
import java.time.Instant;

/**
 * A sandbox VM this process is connected to: the VM process, the relay that owns its private agent channel
 * and serves {@code agent.sock}, the runtime's own client of that relay, and the limits the supervisor enforces
 * (kept here so its periodic pass reads no store).
 *
 * @param origin the handle this process first had of the VM; it stays referenced after a backend's return gave a
 *        fresh {@link #vm()} (decision 1703): an attached VM lives as long as the launcher's stdin pipe, which that
 *        first handle's {@link Process} holds and would close when collected
 */
record LiveVm(VmHandle vm, AgentRelay relay, AgentClient agent, Limits limits, VmHandle origin) {

    /** Idle timeout and maximum duration of the sandbox (null: none), and when its current run started. */
    record Limits(Duration idleTimeout, Duration maxDuration, Instant runStartedAt) {
        static final Limits NONE = new Limits(null, null, Instant.EPOCH);

        static Limits of(SandboxSpec spec, Instant runStartedAt) {
            return new Limits(spec.idleTimeout(), spec.maxDuration(), runStartedAt);
        }
    }

    LiveVm(VmHandle vm, AgentRelay relay, AgentClient agent) {
        this(vm, relay, agent, Limits.NONE, vm);
    }

    LiveVm withLimits(Limits newLimits) {
        return new LiveVm(vm, relay, agent, newLimits, origin);
    }

    /** The same connection with the VM reached through {@code fresh}, a handle of the backend that came back. */
    LiveVm withVm(VmHandle fresh) {
        return new LiveVm(fresh, relay, agent, limits, origin);
    }

    /** {@code core.shutdown} to the agent, then SIGTERM and SIGKILL if the guest does not power off in time. */
    void shutdown(Duration grace) {
        try {
            if (agent.isOpen()) {
                agent.shutdown();
            }
            vm.waitFor(grace);
        } catch (RuntimeException e) {
            // the agent is gone already: the signals below decide
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (vm.alive()) {
            vm.terminate(grace);
        }
        disconnect();
    }

    void kill() {
        vm.kill();
        disconnect();
    }

    /** Closes the host side only; the VM keeps running (used when this process lets go of a detached VM). */
    void disconnect() {
        agent.close();
        relay.close();
    }
}
