package io.msb.api;

import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.network.NetworkPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.osgi.annotation.versioning.ProviderType;

/** The sandbox API of the platform. Every read reconciles the records with the live VMs. */
@ProviderType
public interface SandboxService {
    /**
     * Validates the spec, pulls what it needs and boots the sandbox.
     *
     * @throws InvalidConfigException a field breaks a rule; nothing was created
     * @throws AlreadyExistsException the name is taken and {@code replace} was not asked
     * @throws BootFailedException the VM did not become ready; the record is left Stopped
     */
    SandboxHandle create(SandboxSpec spec);

    /** Boots a stopped or crashed sandbox again, keeping its writable disk. */
    SandboxHandle start(String name);

    /** Asks the guest to shut down, then SIGTERM, then SIGKILL after {@code grace}. */
    void stop(String name, Duration grace);

    /** Ends the VM at once with SIGKILL. */
    void kill(String name);

    /** Lets running commands finish, then stops. */
    void drain(String name);

    /**
     * Freezes a Running sandbox's VM where it stands (status Paused, persisted): its memory stays, its commands and
     * clocks stand still, exec and file operations are refused and the idle timeout does not run. Pausing a Paused
     * sandbox changes nothing. Local sandboxes only (decision 1220).
     *
     * @throws InvalidStateException if the sandbox is neither Running nor Paused
     */
    default SandboxInfo pause(String name) {
        throw new UnsupportedFeatureException("this sandbox backend cannot pause sandboxes");
    }

    /**
     * Lets a Paused sandbox run on (status Running) and steps its wall clock to the host's. Resuming a Running
     * sandbox changes nothing.
     *
     * @throws InvalidStateException if the sandbox is neither Paused nor Running
     */
    default SandboxInfo resume(String name) {
        throw new UnsupportedFeatureException("this sandbox backend cannot resume sandboxes");
    }

    /** Waits until the sandbox is no longer running; a null timeout waits forever. */
    SandboxInfo waitFor(String name, Duration timeout) throws InterruptedException;

    /**
     * Removes the sandbox's records and disks.
     *
     * @param force stop it first if it runs; otherwise a running sandbox is refused with
     *              {@link StillRunningException}
     */
    void remove(String name, boolean force);

    List<SandboxInfo> list(LabelSelector selector);

    /**
     * One page of {@link #list(LabelSelector)}: at most {@code limit} sandboxes whose names sort after
     * {@code afterName} ({@link String#compareTo}; null: from the first), in name order, read page by page from
     * the store rather than all at once.
     */
    List<SandboxInfo> list(LabelSelector selector, String afterName, int limit);

    Optional<SandboxInfo> get(String name);

    /** The sandbox with that {@link SandboxInfo#id()}. */
    Optional<SandboxInfo> getById(UUID id);

    /** @throws NotFoundException no sandbox has that name */
    SandboxHandle handle(String name);

    /**
     * Runs {@code action} with the name of the sandbox that has this {@link SandboxInfo#id()}, while no other
     * create, start, stop or remove of that name can run: the action acts on that very sandbox, never on one that
     * was created under the same name after it was removed (or renamed). Keep the action short; it holds up every
     * other operation on the sandbox.
     *
     * @throws NotFoundException no sandbox has that id (now)
     */
    <T> T withSandbox(UUID id, Function<String, T> action);

    /**
     * Replaces the network policy of a sandbox: kept in its spec, and if it runs, applied to its new
     * connections at once (open ones are left alone), without a restart.
     *
     * @throws NotFoundException no sandbox has that name
     * @throws InvalidConfigException the sandbox has no network
     */
    SandboxInfo updateNetworkPolicy(String name, NetworkPolicy policy);

    /**
     * The sandbox's stored log entries of {@code sources} after {@code from} ({@link LogCursor#EMPTY}: from the
     * oldest kept). With {@code follow} the stream waits for new entries while the sandbox runs and ends when it
     * stops; without, it ends at the last entry stored now.
     *
     * @throws NotFoundException no sandbox has that name
     * @throws UnsupportedFeatureException the backend keeps no logs
     */
    default LogStream logs(String name, Set<LogSource> sources, LogCursor from, boolean follow) {
        throw new UnsupportedFeatureException("this sandbox backend keeps no logs");
    }

    /**
     * The platform's backends, limits, sandboxes by status and home.
     *
     * @throws UnsupportedFeatureException the backend does not describe itself
     * @since 2.3
     */
    default PlatformInfo platform() {
        throw new UnsupportedFeatureException("this sandbox backend does not describe its platform");
    }
}
