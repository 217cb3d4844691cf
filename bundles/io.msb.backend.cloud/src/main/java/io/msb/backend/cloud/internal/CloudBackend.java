package io.msb.backend.cloud.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.LabelSelector;
import io.msb.api.MsbHome;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.StillRunningException;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.DaemonThreads;
import io.msb.api.spi.SandboxBackend;
import io.msb.backend.cloud.internal.Placements.Placement;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Sandboxes placed on a remote msb server (issue 17): each call is forwarded to the remote's HTTP API, and what
 * was placed is journaled here ({@link Placements}), so that this backend answers for exactly its own sandboxes and
 * still shows them, as unreachable, while the remote is away. A health check asks the remote every few seconds
 * whether it is there ({@link #available()}) and settles creates a crash left pending.
 */
@Component(service = SandboxBackend.class, configurationPid = CloudBackendConfig.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, property = "msb.backend=cloud",
        immediate = true) // at once, not on first use: the key leaves the configuration, the health check runs
@Designate(ocd = CloudBackendConfig.class)
public final class CloudBackend implements SandboxBackend {
    private static final System.Logger LOG = System.getLogger(CloudBackend.class.getName());
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    static final Duration WAIT_POLL = Duration.ofSeconds(1);
    private final String name;
    private final RemoteMsb remote;
    private final Placements placements;
    private final long maxExecOutputBytes;
    private final ScheduledExecutorService health;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private volatile boolean available;
    /** Whether {@link #available} was ever set: its first value is logged either way. */
    private volatile boolean checked;

    @Activate
    public CloudBackend(CloudBackendConfig config, Map<String, Object> properties,
            @Reference ConfigurationAdmin configurations) {
        this(config, ApiKeyFile.resolve(config, MsbHome.resolve(config.home())), properties, configurations);
    }

    private CloudBackend(CloudBackendConfig config, ApiKeyFile keyFile, Map<String, Object> properties,
            ConfigurationAdmin configurations) {
        this(config, MsbHome.resolve(config.home()), keyFile.key(config, properties, configurations));
    }

    /** Without OSGi: the key given, the journal under {@code home}. */
    CloudBackend(CloudBackendConfig config, Path home, String key) {
        this.name = name(config.msb_backend());
        URI base = url(config.url());
        this.remote = new RemoteMsb(name, base, key, Duration.ofSeconds(config.connectTimeoutSecs()),
                Duration.ofSeconds(config.requestTimeoutSecs()), (long) config.maxResponseMib() << 20);
        this.placements = new Placements(home.resolve("backends").resolve(name).resolve("placements"));
        this.maxExecOutputBytes = (long) config.maxExecOutputMib() << 20;
        this.health = DaemonThreads.scheduler("msb-backend-" + name + "-health");
        health.scheduleWithFixedDelay(this::checkHealth, 0, config.healthIntervalSecs(), TimeUnit.SECONDS);
        LOG.log(Level.INFO, "backend {0}: places sandboxes on {1}, journal in {2}", name, base, placements.dir());
    }

    @Deactivate
    void deactivate() {
        health.shutdownNow();
    }

    static String name(String configured) {
        if (configured == null || !NAME.matcher(configured).matches() || configured.equals("local")) {
            throw new IllegalArgumentException("msb.backend: must be 1-32 letters, digits, '-' or '_', and not"
                    + " local, got " + configured);
        }
        return configured;
    }

    static URI url(String configured) {
        URI uri;
        try {
            uri = URI.create(configured == null ? "" : configured.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("url: not a URL", e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("url: must be http(s)://host[:port][/path] without credentials,"
                    + " query or fragment, got " + configured);
        }
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        return uri.resolve(path.endsWith("/") ? path : path + "/");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean available() {
        return available;
    }

    long maxExecOutputBytes() {
        return maxExecOutputBytes;
    }

    /** One health check: the remote answers an authenticated call; then pending placements are settled. */
    void checkHealth() {
        try {
            remote.call("GET", "/v1/sandboxes?limit=1", null, null);
            markAvailable(true, null);
            for (Placement p : placements.all()) {
                if (p.pending()) {
                    locked(p.name(), () -> settle(p.name()));
                }
            }
        } catch (RuntimeException e) {
            markAvailable(false, e.getMessage());
        }
    }

    private void markAvailable(boolean now, String why) {
        if (available != now || !checked) {
            LOG.log(now ? Level.INFO : Level.WARNING, now ? "backend {0}: the remote {1} answers"
                    : "backend {0}: the remote {1} cannot be used: {2}", name, remote.base(), why);
        }
        available = now;
        checked = true;
    }

    /**
     * Runs a call on the remote for the sandbox {@code sandbox} (null: none), keeping {@link #available} current:
     * unreachable marks it away; a 404 for a placed sandbox means it was removed on the remote, so it is dropped.
     */
    <T> T remote(String sandbox, Function<RemoteMsb, T> call) {
        try {
            T result = call.apply(remote);
            markAvailable(true, null);
            return result;
        } catch (RemoteUnreachableException e) {
            markAvailable(false, e.getMessage());
            throw e;
        } catch (NotFoundException e) {
            markAvailable(true, null);
            if (sandbox != null && !(e instanceof RemoteErrors.RemoteNotFound)
                    && placements.get(sandbox).filter(p -> !p.pending()).isPresent()) {
                LOG.log(Level.WARNING, "backend {0}: the remote has no sandbox {1} any more; dropped", name, sandbox);
                placements.remove(sandbox);
            }
            throw e;
        }
    }

    @Override
    public SandboxHandle create(SandboxSpec spec) {
        String sandbox = spec.name();
        return locked(sandbox, () -> {
            if (placements.get(sandbox).isPresent()) {
                if (!spec.replace()) {
                    throw new AlreadyExistsException("sandbox", sandbox);
                }
                remove(sandbox, true);
            }
            var body = WireSpec.body(spec, name, true);
            var kept = WireSpec.body(spec, name, false);
            Placement pending = new Placement(sandbox, true, kept, null);
            placements.put(pending);
            try {
                JsonNode answer = remote(null, r -> r.call("POST", "/v1/sandboxes", body, sandbox));
                WireSpec.info(answer, sandbox, WireSpec.spec(kept, name)); // checks the answer before keeping it
                placements.put(pending.placed(answer));
            } catch (RemoteUnreachableException e) {
                if (e.maybeDelivered()) {
                    LOG.log(Level.WARNING, "backend {0}: the create of {1} may have reached the remote; the health"
                            + " check settles it", name, sandbox);
                } else {
                    placements.remove(sandbox);
                }
                throw e;
            } catch (RuntimeException e) {
                placements.remove(sandbox);
                throw e;
            }
            return new RemoteHandle(this, sandbox);
        });
    }

    /** A pending placement: placed if the remote has the sandbox, forgotten if it answers that it has none. */
    private void settle(String sandbox) {
        Optional<Placement> p = placements.get(sandbox).filter(Placement::pending);
        if (p.isEmpty()) {
            return;
        }
        try {
            JsonNode answer = remote(null, r -> r.call("GET", RemoteMsb.sandbox(sandbox, ""), null, sandbox));
            placements.put(p.get().placed(answer));
            LOG.log(Level.INFO, "backend {0}: the pending create of {1} happened on the remote", name, sandbox);
        } catch (NotFoundException e) {
            placements.remove(sandbox);
            LOG.log(Level.INFO, "backend {0}: the pending create of {1} never reached the remote; forgotten",
                    name, sandbox);
        }
    }

    @Override
    public SandboxHandle start(String sandbox) {
        update(sandbox, "POST", "start", null);
        return new RemoteHandle(this, sandbox);
    }

    @Override
    public void stop(String sandbox, Duration grace) {
        update(sandbox, "POST", "stop", null); // the remote stops with its own grace
    }

    @Override
    public void kill(String sandbox) {
        update(sandbox, "POST", "kill", null);
    }

    @Override
    public void drain(String sandbox) {
        placed(sandbox);
        throw new UnsupportedFeatureException("backend " + name + ": the HTTP API has no drain route");
    }

    @Override
    public SandboxInfo pause(String sandbox) {
        return update(sandbox, "POST", "pause", null);
    }

    @Override
    public SandboxInfo resume(String sandbox) {
        return update(sandbox, "POST", "resume", null);
    }

    @Override
    public SandboxInfo updateNetworkPolicy(String sandbox, NetworkPolicy policy) {
        return update(sandbox, "PATCH", "network/policy", policy.toMap());
    }

    /** A call that answers the sandbox as it now is: the answer is kept as the last seen. */
    private SandboxInfo update(String sandbox, String method, String verb, Object body) {
        return locked(sandbox, () -> {
            Placement p = placed(sandbox);
            JsonNode answer = remote(sandbox, r -> r.call(method, RemoteMsb.sandbox(sandbox, verb), body, sandbox));
            return keep(p, answer);
        });
    }

    private SandboxInfo keep(Placement p, JsonNode answer) {
        SandboxInfo info = info(p, answer);
        placements.put(p.placed(answer));
        return info;
    }

    private SandboxInfo info(Placement p, JsonNode answer) {
        return WireSpec.info(answer, p.name(), WireSpec.spec(p.request(), name));
    }

    /** The placement of a sandbox this backend placed, else NotFound. */
    private Placement placed(String sandbox) {
        return placements.get(sandbox).orElseThrow(() -> new NotFoundException("sandbox", sandbox));
    }

    @Override
    public SandboxInfo waitFor(String sandbox, Duration timeout) throws InterruptedException {
        Instant deadline = timeout == null ? null : Instant.now().plus(timeout);
        SandboxInfo last = get(sandbox).orElseThrow(() -> new NotFoundException("sandbox", sandbox));
        while (last.status().expectsLiveVm() && (deadline == null || Instant.now().isBefore(deadline))) {
            Thread.sleep(WAIT_POLL.toMillis());
            Optional<SandboxInfo> now = get(sandbox);
            if (now.isEmpty()) { // an ephemeral sandbox is removed once it stopped
                return new SandboxInfo(last.id(), last.name(), SandboxStatus.STOPPED, last.spec(), last.createdAt(),
                        Instant.now(), last.currentRun(), Optional.empty(), last.backendAvailable());
            }
            last = now.get();
        }
        return last;
    }

    @Override
    public void remove(String sandbox, boolean force) {
        locked(sandbox, () -> {
            placed(sandbox);
            if (!force && get(sandbox).map(i -> i.status().expectsLiveVm()).orElse(false)) {
                throw new StillRunningException(sandbox);
            }
            try {
                remote(sandbox, r -> r.call("DELETE", RemoteMsb.sandbox(sandbox, ""), null, sandbox));
            } catch (NotFoundException gone) {
                LOG.log(Level.INFO, "backend {0}: {1} was already gone from the remote", name, sandbox);
            }
            placements.remove(sandbox);
            return null;
        });
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector) {
        return list(selector, null, Integer.MAX_VALUE);
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector, String afterName, int limit) {
        return placements.all().stream().map(Placement::name)
                .filter(n -> afterName == null || n.compareTo(afterName) > 0)
                .sorted()
                .map(this::listed).flatMap(Optional::stream)
                .filter(i -> selector == null || selector.matches(i.spec().labels()))
                .sorted(Comparator.comparing(SandboxInfo::name))
                .limit(limit).toList();
    }

    /** {@link #get}, or while the remote is away, the last answer without asking (each would wait to time out). */
    private Optional<SandboxInfo> listed(String sandbox) {
        if (available) {
            return get(sandbox);
        }
        return placements.get(sandbox).filter(p -> !p.pending())
                .map(p -> info(p, p.remote()).withBackendAvailable(false));
    }

    /**
     * What the remote says of a sandbox this backend placed; while the remote cannot be reached, the last answer
     * with {@code backendAvailable} false. A pending create the remote cannot confirm yet is not shown.
     */
    @Override
    public Optional<SandboxInfo> get(String sandbox) {
        return locked(sandbox, () -> {
            Optional<Placement> p = placements.get(sandbox);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            if (p.get().pending()) {
                try {
                    settle(sandbox);
                } catch (RuntimeException e) {
                    return Optional.empty();
                }
                p = placements.get(sandbox);
                if (p.isEmpty() || p.get().pending()) {
                    return Optional.empty();
                }
            }
            Placement placed = p.get();
            try {
                JsonNode answer = remote(sandbox, r -> r.call("GET", RemoteMsb.sandbox(sandbox, ""), null, sandbox));
                return Optional.of(keep(placed, answer));
            } catch (NotFoundException gone) {
                return Optional.empty();
            } catch (RemoteUnreachableException e) {
                return Optional.of(info(placed, placed.remote()).withBackendAvailable(false));
            }
        });
    }

    @Override
    public Optional<SandboxInfo> getById(UUID id) {
        String text = id.toString();
        return placements.all().stream()
                .filter(p -> p.remote() != null && text.equals(p.remote().path("id").asText()))
                .findFirst().flatMap(p -> get(p.name()));
    }

    @Override
    public SandboxHandle handle(String sandbox) {
        placed(sandbox);
        return new RemoteHandle(this, sandbox);
    }

    @Override
    public <T> T withSandbox(UUID id, Function<String, T> action) {
        String sandbox = getById(id).orElseThrow(() -> new NotFoundException("sandbox", id.toString())).name();
        return locked(sandbox, () -> {
            if (getById(id).isEmpty()) { // removed or replaced meanwhile
                throw new NotFoundException("sandbox", id.toString());
            }
            return action.apply(sandbox);
        });
    }

    @Override
    public LogStream logs(String sandbox, Set<LogSource> sources, LogCursor from, boolean follow) {
        placed(sandbox);
        return remote(sandbox, r -> RemoteLogs.open(r, name, sandbox, sources, from, follow));
    }

    private <T> T locked(String sandbox, java.util.function.Supplier<T> action) {
        if (sandbox == null) {
            throw new InvalidConfigException("name", "name: is required");
        }
        ReentrantLock lock = locks.computeIfAbsent(sandbox, n -> new ReentrantLock());
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    private void locked(String sandbox, Runnable action) {
        locked(sandbox, () -> {
            action.run();
            return null;
        });
    }

    @Override
    public String toString() {
        return "CloudBackend[" + name + " " + remote.base() + "]";
    }
}
