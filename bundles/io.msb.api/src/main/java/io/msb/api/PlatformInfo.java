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
 * @since 2.3
 */
public record PlatformInfo(Path home, String defaultBackend, List<Backend> backends, Map<SandboxStatus, Integer> sandboxes) {
    public PlatformInfo {
        backends = List.copyOf(backends);
        sandboxes = Map.copyOf(sandboxes);
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
