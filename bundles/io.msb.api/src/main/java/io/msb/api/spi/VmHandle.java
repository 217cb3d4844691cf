package io.msb.api.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import io.msb.api.UnsupportedFeatureException;
import org.osgi.annotation.versioning.ProviderType;

/** A VM process started (or reattached) by a {@link VmmBackend}. */
@ProviderType
public interface VmHandle {
    long pid();

    /** The UNIX socket on which the guest agent's channel is reachable (one client only). */
    Path agentChannel();

    boolean alive();

    /** SIGTERM, then SIGKILL after {@code grace}; the agent-level shutdown is the runtime's job. */
    void terminate(Duration grace);

    /** SIGKILL and wait. */
    void kill();

    /** Waits for the process to end; returns its exit status when known. */
    OptionalInt waitFor(Duration timeout) throws InterruptedException;

    /**
     * The last lines of the guest's console (kernel log), oldest first, for boot failure reports; empty when
     * the backend keeps none. Guest output: bounded and stripped of control characters by the backend.
     */
    default List<String> consoleTail(int maxLines) {
        return List.of();
    }

    /**
     * Freezes the VM's CPUs where it stands (memory, devices and the process stay); the guest's clocks stand still
     * until {@link #resume()}. Idempotent. Backends that cannot freeze a VM refuse.
     */
    default void pause() {
        throw new UnsupportedFeatureException("this VMM backend cannot pause a VM");
    }

    /** Lets a paused VM run on from where it stood. Idempotent. */
    default void resume() {
        throw new UnsupportedFeatureException("this VMM backend cannot resume a VM");
    }

    /** Whether the VM is paused, as the backend itself sees it (QEMU: {@code query-status}). */
    default boolean paused() {
        return false;
    }

    /**
     * Saves the VM's whole state (memory, CPUs, devices) into {@code file} for {@link VmmBackend#restore}. The VM is
     * paused for the save and stays paused; its disks are flushed, so a copy of them taken before it runs on matches
     * the saved memory. Backends that cannot save a VM refuse.
     *
     * @return the bytes written
     * @since 2.5
     */
    default long saveState(Path file) {
        throw new UnsupportedFeatureException("this VMM backend cannot save a VM's memory");
    }

    /**
     * Lets a VM started attached ({@link VmSpec#detached()} false) outlive this process from now on: a warm-pool VM
     * taken by a detached sandbox. Idempotent.
     *
     * @since 2.5
     */
    default void detach() {
        throw new UnsupportedFeatureException("this VMM backend cannot detach a running VM");
    }

    /**
     * The handle of this VM after the caller moved its state directory to {@code stateDir} for {@code sandboxName}
     * (a warm-pool VM taken by a new sandbox); the backend updates what it keeps there so that
     * {@link VmmBackend#find} recognises the VM under its new name. This handle is not used afterwards.
     *
     * @since 2.5
     */
    default VmHandle movedTo(String sandboxName, Path stateDir) {
        throw new UnsupportedFeatureException("this VMM backend cannot move a running VM");
    }
}
