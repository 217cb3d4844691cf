package io.msb.runtime.internal;

import io.msb.api.Check;
import io.msb.api.SandboxService;
import io.msb.api.spi.SandboxBackend;
import io.msb.api.SandboxSpec;
import io.msb.api.UnsupportedFeatureException;
import io.msb.api.image.ImageReference;
import io.msb.api.network.NetworkConfig;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One warm pool per factory configuration of {@value #PID} (decision 1260): the configuration becomes a
 * {@link WarmPool.Profile}, whose template snapshot is made on first need from a fresh sandbox of that profile.
 */
@Component(name = WarmPoolComponent.PID, configurationPid = WarmPoolComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, service = {})
@Designate(ocd = WarmPoolConfig.class, factory = true)
public final class WarmPoolComponent {
    static final String PID = "io.msb.runtime.pool";
    /** Marks a pool's template sandbox and snapshot; a create carrying it is never served from a pool. */
    static final String POOL_LABEL = "msb.pool";

    private final SandboxLifecycle runtime;
    private final WarmPool pool;

    @Activate
    public WarmPoolComponent(@Reference(target = "(msb.backend=local)") SandboxBackend sandboxes,
            @Reference(target = "(component.name=io.msb.runtime.snapshots)") SnapshotService snapshots,
            WarmPoolConfig config) {
        this(sandboxes, snapshots, config.image(), config.cpus(), config.memoryMib(), config.network(),
                config.detached(), config.size(), config.maxMemoryMib());
    }

    /**
     * Plain-Java construction (tests, benchmarks): starts the pool at once.
     *
     * @param cpus 0 for the runtime's default; {@code memoryMib} likewise
     */
    public WarmPoolComponent(SandboxService sandboxes, SnapshotService snapshots, String image, int cpus,
            int memoryMib, boolean network, boolean detached, int size, int maxMemoryMib) {
        if (!(sandboxes instanceof SandboxLifecycle lifecycle)) {
            throw new UnsupportedFeatureException("warm pools need the local runtime");
        }
        Check.notEmpty("image", image, 1024);
        if (size < 1 || size > 64) {
            throw Check.invalid("size", "must be 1 to 64, is " + size);
        }
        this.runtime = lifecycle;
        RuntimeSettings settings = lifecycle.settings();
        int mib = memoryMib != 0 ? memoryMib : settings.defaultMemoryMib();
        WarmPool.Profile profile = new WarmPool.Profile(ImageReference.parse(image).toString(),
                cpus != 0 ? cpus : settings.defaultCpus(), mib, network,
                SandboxSpec.builder("x").image(image).build().diskSizeMib(), detached);
        int fitting = Math.max(1, Math.min(size, maxMemoryMib / mib));
        this.pool = new WarmPool(profile, fitting, settings.home().resolve("pool"),
                () -> template(sandboxes, snapshots, profile), lifecycle::warm);
        lifecycle.addPool(pool);
    }

    /**
     * The pool's resumable snapshot: the one made earlier, else one of a fresh sandbox of the profile, taken once its
     * agent is ready (the template sandbox is removed after).
     */
    static SnapshotInfo template(SandboxService sandboxes, SnapshotService snapshots, WarmPool.Profile profile) {
        String name = "pool-" + profile.key();
        Optional<SnapshotInfo> made = snapshots.get(name).filter(SnapshotInfo::resumable);
        if (made.isPresent()) {
            return made.get();
        }
        String source = name + "-tpl";
        sandboxes.create(SandboxSpec.builder(source).image(profile.image()).cpus(profile.cpus())
                .memoryMib(profile.memoryMib()).diskSizeMib(profile.diskSizeMib())
                .network(profile.network() ? NetworkConfig.defaults() : NetworkConfig.disabled())
                .labels(Map.of(POOL_LABEL, profile.key())).replace(true).build());
        try {
            return snapshots.createResumable(name, source, Map.of(POOL_LABEL, profile.key()), true);
        } finally {
            sandboxes.remove(source, true);
        }
    }

    @Deactivate
    public void close() {
        runtime.removePool(pool);
    }
}
