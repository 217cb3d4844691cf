package io.msb.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a sandbox platform is and holds, for {@code msb info}: its VMM backends, sandboxes by status, and its home.
 *
 * @param home the state directory ({@code $MSB_HOME})
 * @param defaultBackend the configured default VMM backend's name
 * @param backends every registered VMM backend, in the runtime's order of preference
 * @param sandboxes how many sandboxes are in each status (statuses with none left out)
 * @param pools the warm pools configured (since 2.5)
 * @since 2.3
 */
public record PlatformInfo(Path home, String defaultBackend, List<Backend> backends, Map<SandboxStatus, Integer> sandboxes,
        List<Pool> pools) {
    public PlatformInfo {
        backends = List.copyOf(backends);
        sandboxes = Map.copyOf(sandboxes);
        pools = pools == null ? List.of() : List.copyOf(pools);
    }

    /** Without pools (the form of 2.3). */
    public PlatformInfo(Path home, String defaultBackend, List<Backend> backends, Map<SandboxStatus, Integer> sandboxes) {
        this(home, defaultBackend, backends, sandboxes, List.of());
    }

    /**
     * A warm pool: sandboxes of one kind kept restored and paused for creates to take.
     *
     * @param image the image reference it serves
     * @param cpus vCPUs of the sandboxes it serves
     * @param memoryMib their memory
     * @param network whether they have a network
     * @param size how many it keeps ready
     * @param ready how many are ready now
     * @param taken creates it served since it started
     * @param missed creates it would have served but had none ready for
     * @param lastError why its last refill failed, or null
     * @since 2.5
     */
    public record Pool(String image, int cpus, int memoryMib, boolean network, int size, int ready, long taken,
            long missed, String lastError) {
    }

    /**
     * One VMM backend.
     *
     * @param name its configuration name ({@code qemu})
     * @param available whether it can start VMs now
     * @param selected whether creates use it now (the default if available, else the first available)
     * @param acceleration {@code kvm} or {@code tcg} as in use, or null until the backend has found out (a probe
     *                     runs at the first boot)
     * @param guestKernel the guest kernel's release, or null when not known yet
     * @param minCpus fewest vCPUs a VM may have
     * @param maxCpus most vCPUs
     * @param minMemoryMib least memory in MiB
     * @param maxMemoryMib most memory in MiB
     * @param features what else it declares ({@code KVM}, {@code TCG}, {@code NETWORK}, …)
     */
    public record Backend(String name, boolean available, boolean selected, String acceleration, String guestKernel,
            int minCpus, int maxCpus, int minMemoryMib, int maxMemoryMib, Set<String> features) {
        public Backend {
            features = Set.copyOf(features);
        }
    }
}
