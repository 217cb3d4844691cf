package io.msb.volume.internal;

import io.msb.api.AlreadyExistsException;
import io.msb.api.Check;
import io.msb.api.LabelSelector;
import io.msb.api.MsbException;
import io.msb.api.MsbHome;
import io.msb.api.Mount;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxService;
import io.msb.api.fs.SandboxFs;
import io.msb.api.store.VolumeRecord;
import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeInUseException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * {@link VolumeService} over {@code <home>/volumes} and the {@link VolumeStore} (decisions 1210-1213).
 *
 * <p>Create builds the volume in a staging directory, renames it into place, then records it; remove deletes the
 * record, then renames the directory away and deletes it. So a record always names storage that exists, and a kill at
 * any point leaves at most a directory without a record, which the next start (or the next create of that name)
 * deletes. Creates, removes and updates are serialised by one lock; reads take none.
 *
 * <p>A volume is in use by every sandbox whose spec has a {@link Mount.Kind#VOLUME} mount of it, whatever the
 * sandbox's status. The runtime is optional and dynamic here (it may itself reference this service to resolve
 * mounts): without it nothing can be known to be unused, so remove and prune refuse.
 */
@Component(service = VolumeService.class, configurationPid = VolumeConfig.PID)
@Designate(ocd = VolumeConfig.class)
public final class LocalVolumeService implements VolumeService {
    private static final System.Logger LOG = System.getLogger(LocalVolumeService.class.getName());

    private final VolumeStore store;
    private final VolumeLayout layout;
    private final DiskImages disks;
    private final int maxCapacityMib;
    private final Supplier<SandboxService> sandboxes;
    private final Object lock = new Object();
    private final Map<String, Object> quotaLocks = new ConcurrentHashMap<>();

    /**
     * The runtime, bound without being got. SCR gets a plain service field's service when it binds it, and the
     * runtime's own activation creates this component (its greedy VolumeService reference): after a restart of the
     * runtime that get could come while the runtime was still being created, fail (a circular reference, or "could
     * not get service"), and leave the field null until the runtime registered again, so no check could see it
     * (decision 1213). The service is got at each check instead, when both components are built, and let go after.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ComponentServiceObjects<SandboxService> runtime;

    @Activate
    public LocalVolumeService(@Reference(name = "store") VolumeStore store, VolumeConfig config) {
        this(store, MsbHome.resolve(config.home()).resolve("volumes"), config.mkfsExt4(), config.maxCapacityMib(),
                null);
    }

    /** Outside OSGi (tests, tools): {@code sandboxes} says which sandboxes exist; null: the DS reference. */
    LocalVolumeService(VolumeStore store, Path root, String mkfs, int maxCapacityMib,
            Supplier<SandboxService> sandboxes) {
        Check.range("maxCapacityMib", maxCapacityMib, 1, Integer.MAX_VALUE);
        this.store = store;
        this.layout = new VolumeLayout(root);
        this.disks = new DiskImages(Check.notEmpty("mkfsExt4", mkfs, 4096));
        this.maxCapacityMib = maxCapacityMib;
        this.sandboxes = sandboxes;
        recover();
    }

    /**
     * Puts disk and records back in step after a kill: deletes staging and trash directories, directories no record
     * names (a create killed between its rename and its record, or a remove between its record and its rename), and
     * records whose storage is gone (only a hand outside msb can do that).
     */
    private void recover() {
        synchronized (lock) {
            try {
                for (Path leftover : layout.leftovers()) {
                    LOG.log(Level.INFO, "deleting {0}, left by an interrupted volume create or remove", leftover);
                    VolumeLayout.deleteTree(leftover);
                }
                Set<String> recorded = new TreeSet<>();
                for (VolumeRecord r : store.listVolumes()) {
                    recorded.add(r.name());
                    if (!Files.exists(layout.storage(r.name(), r.spec().kind()))) {
                        LOG.log(Level.WARNING, "volume {0}: {1} is gone; dropping its record", r.name(),
                                layout.storage(r.name(), r.spec().kind()));
                        store.deleteVolume(r.name());
                    }
                }
                for (String entry : layout.volumeEntries()) {
                    if (!recorded.contains(entry)) {
                        LOG.log(Level.INFO, "deleting {0}: no volume record names it (an interrupted create)",
                                layout.volume(entry));
                        VolumeLayout.deleteTree(layout.volume(entry));
                    }
                }
            } catch (IOException e) {
                throw new MsbException("cannot recover the volumes in " + layout.root() + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public VolumeInfo create(VolumeSpec spec) {
        VolumeNames.spec(spec, maxCapacityMib);
        synchronized (lock) {
            if (store.findVolume(spec.name()).isPresent()) {
                throw new AlreadyExistsException("volume", spec.name());
            }
            Path dir = layout.volume(spec.name());
            if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                LOG.log(Level.INFO, "deleting {0}: no volume record names it (an interrupted create)", dir);
                VolumeLayout.deleteTree(dir);
            }
            Path staging = null;
            try {
                staging = layout.newStaging();
                Path storage = VolumeLayout.storageIn(staging, spec.kind());
                if (spec.kind() == VolumeKind.DIRECTORY) {
                    Files.createDirectory(storage);
                    // QEMU serves a share as the user it runs as (msb-qemu under a root server, decision 1201):
                    // the guest may write only where that user may; the volumes root keeps everyone else out
                    Files.setPosixFilePermissions(storage, PosixFilePermissions.fromString("rwxrwxrwx"));
                } else {
                    disks.create(storage, spec.capacityMib());
                }
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                staging = null;
            } catch (IOException e) {
                throw new MsbException("cannot create volume " + spec.name() + " in " + layout.root() + ": "
                        + e.getMessage(), e);
            } finally {
                if (staging != null) {
                    VolumeLayout.deleteTree(staging);
                }
            }
            Instant now = Instant.now();
            VolumeRecord record = new VolumeRecord(UUID.randomUUID(), spec, now, now);
            try {
                store.insertVolume(record);
            } catch (RuntimeException e) {
                VolumeLayout.deleteTree(dir);
                throw e;
            }
            return info(record, usage());
        }
    }

    @Override
    public Optional<VolumeInfo> get(String name) {
        VolumeNames.name(name);
        return store.findVolume(name).map(r -> info(r, usage()));
    }

    @Override
    public Optional<VolumeInfo> getById(UUID id) {
        Check.required("id", id);
        return store.findVolumeById(id).map(r -> info(r, usage()));
    }

    @Override
    public List<VolumeInfo> list() {
        Map<String, List<String>> users = usage();
        return store.listVolumes().stream().map(r -> info(r, users)).toList();
    }

    @Override
    public VolumeInfo update(String name, Integer quotaMib, Map<String, String> labels) {
        VolumeNames.name(name);
        VolumeNames.quota(quotaMib);
        if (labels != null) {
            VolumeNames.spec(new VolumeSpec(name, VolumeKind.DIRECTORY, null, null, labels), maxCapacityMib);
        }
        synchronized (lock) {
            VolumeRecord r = record(name);
            if (quotaMib != null && r.spec().kind() == VolumeKind.DISK) {
                throw Check.invalid("quotaMib", "a disk volume is limited by its capacityMib, not a quota");
            }
            VolumeRecord updated = store.updateVolume(name, quotaMib, labels, Instant.now())
                    .orElseThrow(() -> new NotFoundException("volume", name));
            return info(updated, usage());
        }
    }

    @Override
    public void remove(String name) {
        VolumeNames.name(name);
        synchronized (lock) {
            VolumeRecord r = record(name);
            List<String> users = knownUsage().getOrDefault(name, List.of());
            if (!users.isEmpty()) {
                throw new VolumeInUseException(name, users);
            }
            delete(r);
        }
    }

    @Override
    public List<String> prune() {
        synchronized (lock) {
            Map<String, List<String>> users = knownUsage();
            List<String> removed = new ArrayList<>();
            for (VolumeRecord r : store.listVolumes()) {
                if (!users.containsKey(r.name())) {
                    delete(r);
                    removed.add(r.name());
                }
            }
            return removed;
        }
    }

    /** Record first, then files: a kill in between leaves a directory without a record, which recovery deletes. */
    private void delete(VolumeRecord r) {
        store.deleteVolume(r.name());
        quotaLocks.remove(r.name());
        Path dir = layout.volume(r.name());
        try {
            VolumeLayout.deleteTree(layout.retire(dir));
        } catch (java.nio.file.NoSuchFileException gone) {
            // nothing on disk
        } catch (IOException e) {
            throw new MsbException("volume " + r.name() + " is removed but " + dir + " could not be: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public SandboxFs files(String name) {
        VolumeNames.name(name);
        VolumeRecord r = record(name);
        if (r.spec().kind() != VolumeKind.DIRECTORY) {
            throw Check.invalid("name", "volume " + name + " is a disk volume: its files are inside its ext4 image, "
                    + "reachable from a sandbox that mounts it");
        }
        return new VolumeFs(layout.storage(name, VolumeKind.DIRECTORY),
                () -> store.findVolume(name).map(v -> v.spec().quotaMib()).orElse(null),
                quotaLocks.computeIfAbsent(name, n -> new Object()));
    }

    private VolumeRecord record(String name) {
        return store.findVolume(name).orElseThrow(() -> new NotFoundException("volume", name));
    }

    /** Volume name → names of the sandboxes whose spec mounts it, in name order; empty without a runtime. */
    private Map<String, List<String>> usage() {
        return usageIfKnown().orElse(Map.of());
    }

    /** {@link #usage()}, for a decision that needs to know: refused without a runtime. */
    private Map<String, List<String>> knownUsage() {
        return usageIfKnown().orElseThrow(() -> new MsbException("cannot tell which sandboxes use volumes: no "
                + "SandboxService (io.msb.runtime) is running"));
    }

    /** The usage as the runtime says it; empty without one (none bound, or it went away while asked). */
    private Optional<Map<String, List<String>>> usageIfKnown() {
        if (sandboxes != null) {
            return Optional.ofNullable(sandboxes.get()).map(LocalVolumeService::usage);
        }
        ComponentServiceObjects<SandboxService> bound = runtime;
        if (bound == null) {
            return Optional.empty();
        }
        SandboxService service;
        try {
            service = bound.getService();
        } catch (IllegalStateException gone) { // unbound between the read and the get
            return Optional.empty();
        }
        if (service == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(usage(service));
        } finally {
            try {
                bound.ungetService(service);
            } catch (IllegalStateException gone) {
                // unbound meanwhile: SCR has let go of it already
            }
        }
    }

    private static Map<String, List<String>> usage(SandboxService service) {
        Map<String, Set<String>> users = new TreeMap<>();
        for (SandboxInfo s : service.list(LabelSelector.ALL)) {
            for (Mount m : s.spec().mounts()) {
                if (m.kind() == Mount.Kind.VOLUME) {
                    users.computeIfAbsent(m.source(), k -> new TreeSet<>()).add(s.name());
                }
            }
        }
        Map<String, List<String>> out = new TreeMap<>();
        users.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    private VolumeInfo info(VolumeRecord r, Map<String, List<String>> users) {
        Path storage = layout.storage(r.name(), r.spec().kind());
        long used = r.spec().kind() == VolumeKind.DIRECTORY ? VolumeFs.usedBytes(storage) : DiskImages.allocated(storage);
        return new VolumeInfo(r.id(), r.spec(), storage, r.createdAt(), r.updatedAt(), used,
                users.getOrDefault(r.name(), List.of()));
    }
}
