package io.msb.runtime.internal;

import io.msb.api.spi.VmHandle;
import io.msb.protocol.AgentClient;
import io.msb.protocol.Relay;
import java.time.Duration;

/**
 * A sandbox VM this process is connected to: the VM process, the relay that owns its private agent channel
 * and serves {@code agent.sock}, and the runtime's own client of that relay.
 */
record LiveVm(VmHandle vm, Relay relay, AgentClient agent) {

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
