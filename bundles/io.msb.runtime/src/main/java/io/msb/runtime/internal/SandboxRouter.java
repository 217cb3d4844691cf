package io.msb.runtime.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.LabelSelector;
import io.msb.api.MsbHome;
import io.msb.api.PlatformInfo;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.SandboxSpec;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.logs.LogCursor;
import io.msb.api.logs.LogSource;
import io.msb.api.logs.LogStream;
import io.msb.api.network.NetworkPolicy;
import io.msb.api.spi.SandboxAdmission;
import io.msb.api.spi.SandboxBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The platform's {@link SandboxService} (decision 1704): a create goes to the sandbox backend its spec names, or the
 * configured default names ({@code cloud}), else to the local runtime, which resolves VMM backend names itself; every
 * later call goes to the backend that holds the sandbox (local first, then the others); lists merge all of them by
 * name. Names are unique across backends: a create is refused when another backend holds the name. Before any of
 * that, a create passes every registered {@link SandboxAdmission} (decision 1850).
 */
@Component(name = "io.msb.runtime.router", configurationPid = RuntimeConfig.PID, immediate = true,
        service = SandboxService.class)
public final class SandboxRouter implements SandboxService {
    private static final System.Logger LOG = System.getLogger(SandboxRouter.class.getName());

    @Reference(target = "(!(msb.backend=" + SandboxLifecycle.LOCAL + "))", cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<SandboxBackend> remoteBackends = List.of();

    /** With their properties, for the ranking order (the DS list's own order is by reference, lowest rank first). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile List<Map.Entry<Map<String, Object>, SandboxAdmission>> admissionServices = List.of();

    private final SandboxBackend local;
    private final Supplier<List<SandboxBackend>> remotes;
    private final Admissions admissions;
    private final Supplier<List<String>> vmmNames;
    private volatile String defaultBackend;
    /** The configuration applied now (OSGi only). */
    private volatile RuntimeConfig config;

    @Activate
    public SandboxRouter(@Reference(name = "local", target = "(msb.backend=" + SandboxLifecycle.LOCAL + ")")
            SandboxBackend local,
            RuntimeConfig config, ComponentContext context) {
        this.local = local;
        this.remotes = () -> remoteBackends;
        this.admissions = new Admissions(() -> Admissions.byRanking(admissionServices));
        this.vmmNames = local instanceof SandboxLifecycle lifecycle ? lifecycle::vmmNames : List::of;
        this.defaultBackend = config.defaultBackend();
        this.config = config;
        SandboxLifecycle.publishHome(context, MsbHome.resolve(config.home()));
    }

    /** As the local runtime does (decision 1707): a new default at once, anything else by a restart. */
    @Modified
    void modified(RuntimeConfig next, ComponentContext context) {
        if (RuntimeReconfiguration.onlyTheDefaultBackend(config, next)) {
            defaultBackend = next.defaultBackend();
            config = next;
        } else {
            RuntimeReconfiguration.restart(context);
        }
    }

    /**
     * Plain-Java construction.
     *
     * @param vmmNames the VMM backends the local runtime has now (names a create may give for it)
     * @param defaultBackend the configured default: a sandbox backend's name sends creates there, anything else
     *        leaves the choice to the local runtime
     */
    public SandboxRouter(SandboxBackend local, Supplier<List<SandboxBackend>> remotes, Supplier<List<String>> vmmNames,
            String defaultBackend) {
        this(local, remotes, vmmNames, defaultBackend, List::of);
    }

    /** As above, consulting {@code admissions} (in the order given) on every create. */
    public SandboxRouter(SandboxBackend local, Supplier<List<SandboxBackend>> remotes, Supplier<List<String>> vmmNames,
            String defaultBackend, Supplier<List<SandboxAdmission>> admissions) {
        this.local = local;
        this.remotes = remotes;
        this.admissions = new Admissions(admissions);
        this.vmmNames = vmmNames;
        this.defaultBackend = defaultBackend;
    }

    @Override
    public SandboxHandle create(SandboxSpec asked) {
        SandboxSpec spec = admissions.admit(asked);
        String named = spec.backend();
        if (named != null) {
            SpecValidator.backendName(named);
        }
        Optional<SandboxBackend> remote = remote(named != null ? named : defaultBackend);
        if (remote.isPresent()) {
            SandboxBackend target = remote.get();
            if (!target.available()) {
                throw new UnsupportedFeatureException("backend " + target.name() + " cannot be reached now");
            }
            refuseTakenElsewhere(spec.name(), target);
            return target.create(spec.toBuilder().backend(target.name()).build());
        }
        if (named != null && !named.equals(local.name()) && !vmmNames.get().contains(named)) {
            throw Check.invalid("backend", "no backend named " + named + " is running (known: "
                    + String.join(", ", knownNames()) + ")");
        }
        refuseTakenElsewhere(spec.name(), local);
        return local.create(named != null && named.equals(local.name()) ? spec.toBuilder().backend(null).build() : spec);
    }

    /** Every backend name a create may give now: the local runtime's VMM backends, then the sandbox backends. */
    List<String> knownNames() {
        Set<String> names = new LinkedHashSet<>(vmmNames.get());
        names.add(local.name());
        remotes.get().forEach(b -> names.add(b.name()));
        return List.copyOf(names);
    }

    private Optional<SandboxBackend> remote(String name) {
        return name == null ? Optional.empty() : remotes.get().stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /** A name is one sandbox's on all backends: refused when a backend other than {@code target} holds it. */
    private void refuseTakenElsewhere(String name, SandboxBackend target) {
        for (SandboxBackend backend : all()) {
            if (backend != target && holds(backend, name)) {
                throw new AlreadyExistsException("sandbox", name + " (on backend " + backend.name() + ")");
            }
        }
    }

    /** The local backend, then the others. */
    private List<SandboxBackend> all() {
        List<SandboxBackend> all = new ArrayList<>();
        all.add(local);
        all.addAll(remotes.get());
        return all;
    }

    /** Whether {@code backend} has a sandbox {@code name}; a remote that fails to answer is taken not to. */
    private static boolean holds(SandboxBackend backend, String name) {
        return answer(backend, b -> b.get(name), Optional.<SandboxInfo>empty()).isPresent();
    }

    /** The first backend, local first, whose {@code lookup} finds the sandbox. */
    private Optional<SandboxBackend> holding(Function<SandboxBackend, Optional<SandboxInfo>> lookup) {
        return all().stream().filter(b -> answer(b, lookup, Optional.<SandboxInfo>empty()).isPresent()).findFirst();
    }

    /** What the first backend that has the sandbox says of it. */
    private Optional<SandboxInfo> first(Function<SandboxBackend, Optional<SandboxInfo>> lookup) {
        for (SandboxBackend backend : all()) {
            Optional<SandboxInfo> info = answer(backend, lookup, Optional.empty());
            if (info.isPresent()) {
                return info;
            }
        }
        return Optional.empty();
    }

    /** Every backend's answer to {@code list}, sorted by name. */
    private List<SandboxInfo> merged(Function<SandboxBackend, List<SandboxInfo>> list) {
        List<SandboxInfo> merged = new ArrayList<>();
        for (SandboxBackend backend : all()) {
            merged.addAll(answer(backend, list, List.of()));
        }
        merged.sort(Comparator.comparing(SandboxInfo::name));
        return merged;
    }

    /** What a backend answers; a remote's failure is logged and {@code otherwise} used, the local one's thrown. */
    private static <T> T answer(SandboxBackend backend, Function<SandboxBackend, T> call, T otherwise) {
        if (SandboxLifecycle.LOCAL.equals(backend.name())) {
            return call.apply(backend);
        }
        try {
            return call.apply(backend);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "sandbox backend " + backend.name() + " did not answer", e);
            return otherwise;
        }
    }

    /** The backend that holds sandbox {@code name}: local first, then the others; local when none does. */
    private SandboxBackend holder(String name) {
        return holding(b -> b.get(name)).orElse(local);
    }

    @Override
    public SandboxHandle start(String name) {
        return holder(name).start(name);
    }

    @Override
    public void stop(String name, Duration grace) {
        holder(name).stop(name, grace);
    }

    @Override
    public void kill(String name) {
        holder(name).kill(name);
    }

    @Override
    public void drain(String name) {
        holder(name).drain(name);
    }

    @Override
    public SandboxInfo pause(String name) {
        return holder(name).pause(name);
    }

    @Override
    public SandboxInfo resume(String name) {
        return holder(name).resume(name);
    }

    @Override
    public SandboxInfo waitFor(String name, Duration timeout) throws InterruptedException {
        return holder(name).waitFor(name, timeout);
    }

    @Override
    public void remove(String name, boolean force) {
        holder(name).remove(name, force);
    }

    @Override
    public List<SandboxInfo> list(LabelSelector selector) {
        return List.copyOf(merged(b -> b.list(selector)));
    }

    /** Each backend's page after {@code afterName}, merged by name and cut to {@code limit}. */
    @Override
    public List<SandboxInfo> list(LabelSelector selector, String afterName, int limit) {
        List<SandboxInfo> merged = merged(b -> b.list(selector, afterName, limit));
        return List.copyOf(merged.subList(0, Math.min(Math.max(limit, 0), merged.size())));
    }

    @Override
    public Optional<SandboxInfo> get(String name) {
        return first(b -> b.get(name));
    }

    @Override
    public Optional<SandboxInfo> getById(UUID id) {
        return first(b -> b.getById(id));
    }

    @Override
    public SandboxHandle handle(String name) {
        return holder(name).handle(name);
    }

    @Override
    public <T> T withSandbox(UUID id, Function<String, T> action) {
        // local when none has it: it says not found
        return holding(b -> b.getById(id)).orElse(local).withSandbox(id, action);
    }

    @Override
    public SandboxInfo updateNetworkPolicy(String name, NetworkPolicy policy) {
        return holder(name).updateNetworkPolicy(name, policy);
    }

    @Override
    public LogStream logs(String name, Set<LogSource> sources, LogCursor from, boolean follow) {
        return holder(name).logs(name, sources, from, follow);
    }

    /**
     * The local platform, its default being the configured one; when that names a sandbox backend, no VMM backend is
     * the one creates use.
     */
    @Override
    public PlatformInfo platform() {
        PlatformInfo p = local.platform();
        List<PlatformInfo.Backend> vmms = remote(defaultBackend).isEmpty() ? p.backends() : p.backends().stream()
                .map(b -> new PlatformInfo.Backend(b.name(), b.available(), false, b.acceleration(), b.guestKernel(),
                        b.minCpus(), b.maxCpus(), b.minMemoryMib(), b.maxMemoryMib(), b.features())).toList();
        return new PlatformInfo(p.home(), defaultBackend, vmms, p.sandboxes(), p.pools());
    }
}
