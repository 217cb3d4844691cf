package io.msb.api.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Starts sandbox VMs. Several may be registered; the runtime chooses by configuration and service ranking
 * and keeps running VMs when a backend goes away.
 */
@ProviderType
public interface VmmBackend {
    /** Short name used in configuration, e.g. {@code qemu} or {@code libkrun}. */
    String name();

    /** Whether this backend can start VMs on this host now; {@link #unavailableReason()} says why not. */
    boolean available();

    /**
     * Why this backend cannot start VMs on this host now, in words a user can act on ({@code libkrun.so.1 not
     * found}, {@code KVM not usable: /dev/kvm: permission denied}), or empty while {@link #available()}. A create
     * that names this backend fails with it. Cheap: no VM is started.
     *
     * @since 2.7
     */
    default Optional<String> unavailableReason() {
        return available() ? Optional.empty() : Optional.of("backend " + name() + " is not available on this host");
    }

    /** What this backend can run; asked before every boot, so it must be cheap (no probing). */
    VmmCapabilities capabilities();

    /**
     * Boots a VM. The runtime has checked the spec's CPUs and memory against {@link #capabilities()}; the backend
     * checks only what its own command line needs.
     */
    VmHandle start(VmSpec spec);

    /** Reattaches to a VM this backend started earlier (perhaps from another process), if it is still alive. */
    Optional<VmHandle> reattach(String sandboxName, long pid, Path stateDir);

    /**
     * The VM this backend last started for the sandbox in {@code stateDir}, if it still runs, whatever its pid:
     * how a runtime that died before it recorded the pid finds that VM again, so as to stop it before the
     * directory is deleted. Empty by default (a backend whose VMs die with the process that started them).
     */
    default Optional<VmHandle> find(String sandboxName, Path stateDir) {
        return Optional.empty();
    }

    /**
     * The acceleration VMs of this backend use now, {@code kvm} or {@code tcg}, if known without probing (a backend
     * that probes at its first boot knows after it). Cheap: no VM is started.
     *
     * @since 2.4
     */
    default Optional<String> acceleration() {
        return Optional.empty();
    }

    /**
     * Why VMs of this backend run without hardware acceleration (under emulation), in words a user can act on
     * ({@code /dev/kvm is not readable and writable by this user}, {@code accel=tcg is configured}); empty when they
     * run accelerated, or while that is not known yet. Cheap: no VM is started, nothing is fetched.
     *
     * @since 2.8
     */
    default Optional<String> accelerationReason() {
        return Optional.empty();
    }

    /**
     * The files a boot needs (guest kernel, agent, …) as this backend would choose them now, each with whether it is
     * there. Cheap: no VM is started, nothing is fetched. Empty by default (a backend that does not say).
     *
     * @since 2.8
     */
    default List<BootFile> bootFiles() {
        return List.of();
    }

    /**
     * A file a boot needs.
     *
     * @param what short name, e.g. {@code guest kernel} or {@code agentd}
     * @param location the path, or where the backend takes it from (a resource, a cache directory)
     * @param state whether it is there
     * @param detail what to do when it is missing, what happens when it is fetched later, or where it comes from;
     *        may be empty
     * @since 2.8
     */
    record BootFile(String what, String location, State state, String detail) {
        /** Whether a boot would find the file. */
        public enum State {
            /** There and readable. */
            PRESENT,
            /** Not there yet; the backend fetches it itself at the first boot. */
            FETCHED_AT_FIRST_BOOT,
            /** A boot fails for want of it. */
            MISSING
        }

        public BootFile {
            Objects.requireNonNull(what, "what");
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(state, "state");
            detail = detail == null ? "" : detail;
        }
    }

    /**
     * The release of the kernel its guests boot ({@code 6.1.0-28-cloud-amd64}), if known without fetching anything.
     *
     * @since 2.4
     */
    default Optional<String> guestKernelRelease() {
        return Optional.empty();
    }

    /**
     * Starts a VM from a state {@link VmHandle#saveState} wrote. {@code spec} must describe the same machine (CPUs,
     * memory, the same devices in the same order; the disks are copies of the saved VM's disks as they were when it
     * was saved). The VM comes up paused where the saved one stood; {@link VmHandle#resume()} lets it run on.
     *
     * @since 2.5
     */
    default VmHandle restore(VmSpec spec, Path stateFile) {
        throw new io.msb.api.UnsupportedFeatureException("the " + name() + " backend cannot restore a saved VM");
    }
}
