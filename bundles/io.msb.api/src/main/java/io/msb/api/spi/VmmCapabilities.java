package io.msb.api.spi;

import java.util.Set;

/**
 * What a {@link VmmBackend} can run, declared by the backend: the runtime checks a sandbox's resources against it
 * once, before anything is written, and front ends (HTTP, console, CLI) only map fields.
 *
 * @param minCpus fewest virtual CPUs a VM may have (at least 1)
 * @param maxCpus most virtual CPUs
 * @param minMemoryMib least guest memory in MiB
 * @param maxMemoryMib most guest memory in MiB
 * @param features what else the backend can do on this host as configured
 */
public record VmmCapabilities(int minCpus, int maxCpus, int minMemoryMib, int maxMemoryMib, Set<Feature> features) {

    /** Capabilities a backend has or lacks; only what a backend really does is declared. */
    public enum Feature {
        /** Hardware virtualisation through /dev/kvm. */
        KVM,
        /** QEMU's software emulation, where KVM is unusable. */
        TCG,
        /** A network device attached through {@link NetworkAttachment}. */
        NETWORK,
        /** Host directories and named volumes mounted into the guest. */
        VOLUMES,
        /** Saving and restoring a VM's state. */
        SNAPSHOTS
    }

    public VmmCapabilities {
        if (minCpus < 1 || maxCpus < minCpus) {
            throw new IllegalArgumentException("cpus range " + minCpus + ".." + maxCpus + " is empty or below 1");
        }
        if (minMemoryMib < 1 || maxMemoryMib < minMemoryMib) {
            throw new IllegalArgumentException("memory range " + minMemoryMib + ".." + maxMemoryMib
                    + " MiB is empty or below 1");
        }
        features = Set.copyOf(features);
    }

    public boolean supports(Feature feature) {
        return features.contains(feature);
    }
}
