package io.msb.volume.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxService;
import io.msb.api.SandboxStatus;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.api.store.VolumeRecord;
import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeInUseException;
import io.msb.api.volume.VolumeInfo;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import io.msb.testing.EmbeddedMsb;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/**
 * The volume service against the real store and runtime (their bundles in an embedded Felix, decision 0902), with
 * sandboxes recorded as the runtime records them, mounts included, and the states a kill during create or remove
 * can leave on disk.
 */
class LocalVolumeServiceTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private VolumeStore records;
    private SandboxStore sandboxStore;
    private LocalVolumeService volumes;

    @BeforeEach
    void open() {
        // no VMM backend: the runtime only reads the sandboxes recorded here
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.runtime", "io.msb.volume")
                .configure("io.msb.store", Map.of("maxConnections", 4))
                .configure("io.msb.volume", Map.of("home", home.toString())).start();
        records = msb.service(VolumeStore.class);
        sandboxStore = msb.service(SandboxStore.class);
        volumes = restart();
    }

    /** A new service over the same store and directory, as after a server restart. */
    private LocalVolumeService restart() {
        return new LocalVolumeService(records, home.resolve("volumes"), "mkfs.ext4", 1024,
                () -> msb.service(SandboxService.class));
    }

    @AfterEach
    void close() {
        msb.close();
    }

    /** A sandbox in the runtime's stored form of a spec, mounting the named volumes. */
    private void sandbox(String name, String... volumeNames) {
        StringBuilder mounts = new StringBuilder();
        for (String v : volumeNames) {
            mounts.append(mounts.isEmpty() ? "" : ",").append("{\"source\":\"").append(v)
                    .append("\",\"guestPath\":\"/mnt/").append(v).append("\",\"kind\":\"VOLUME\",\"readOnly\":false}");
        }
        String json = """
                {"v":1,"name":"%s","rootfs":{"kind":"oci","reference":"alpine"},"cpus":1,"memoryMib":256,\
                "diskSizeMib":0,"env":{},"labels":{},"hostname":"%s","mounts":[%s],"pullPolicy":"IF_MISSING"}"""
                .formatted(name, name, mounts);
        Instant now = Instant.now();
        sandboxStore.insertSandbox(new SandboxRecord(name, json, SandboxStatus.STOPPED, false, Map.of(), now, now));
    }

    @Test
    void theBundleRegistersTheService() {
        VolumeService registered = msb.service(VolumeService.class);
        VolumeInfo v = registered.create(VolumeSpec.directory("from-osgi"));
        assertEquals(home.resolve("volumes/from-osgi/data"), v.path());
        assertEquals(List.of("from-osgi"), registered.list().stream().map(VolumeInfo::name).toList());
    }

    /**
     * The runtime references this service and this service the runtime. After each restart of the runtime, whose
     * activation creates the volume component again when nothing else holds it (as in e2e, where PauseIT restarts
     * the runtime before MountsIT first asks for volumes), the registered service sees the new runtime's sandboxes
     * and refuses to remove what they mount. Released after each round, so every restart starts from that state.
     */
    @Test
    void theRegisteredServiceSeesTheRuntimeAgainAfterEachRestart() {
        sandbox("user", "kept");
        BundleContext context = msb.context();
        for (int i = 0; i < 25; i++) {
            msb.restart("io.msb.runtime");
            msb.service(SandboxService.class);
            ServiceReference<VolumeService> ref = context.getServiceReference(VolumeService.class);
            VolumeService registered = context.getService(ref);
            try {
                if (i == 0) {
                    registered.create(VolumeSpec.directory("kept"));
                }
                registered.create(VolumeSpec.directory("free"));
                assertEquals(List.of("user"), registered.get("kept").orElseThrow().usedBy(), "restart " + i);
                assertEquals(List.of("user"), assertThrows(VolumeInUseException.class,
                        () -> registered.remove("kept"), "restart " + i).sandboxes());
                registered.remove("free");
            } finally {
                context.ungetService(ref);
            }
        }
    }

    @Test
    void createsListsUpdatesAndRemovesDirectoryVolumes() {
        VolumeInfo cache = volumes.create(new VolumeSpec("pip-cache", VolumeKind.DIRECTORY, 64, null, Map.of("t", "a")));
        assertTrue(Files.isDirectory(home.resolve("volumes/pip-cache/data")));
        assertEquals(cache, volumes.get("pip-cache").orElseThrow());
        assertEquals(cache, volumes.getById(cache.id()).orElseThrow());
        assertThrows(AlreadyExistsException.class, () -> volumes.create(VolumeSpec.directory("pip-cache")));

        volumes.files("pip-cache").write("/wheel.whl", "12345".getBytes(StandardCharsets.UTF_8));
        assertEquals(5, volumes.get("pip-cache").orElseThrow().usedBytes());

        VolumeInfo updated = volumes.update("pip-cache", 128, Map.of("t", "b"));
        assertEquals(128, updated.spec().quotaMib());
        assertEquals(Map.of("t", "b"), updated.labels());
        assertEquals(Map.of("t", "b"), volumes.update("pip-cache", null, null).labels());

        volumes.remove("pip-cache");
        assertFalse(Files.exists(home.resolve("volumes/pip-cache")));
        assertEquals(List.of(), volumes.list());
        assertThrows(NotFoundException.class, () -> volumes.remove("pip-cache"));
        assertThrows(NotFoundException.class, () -> volumes.files("pip-cache"));
    }

    @Test
    void diskVolumesAreSparseExt4Images() throws Exception {
        VolumeInfo disk = volumes.create(new VolumeSpec("blk", VolumeKind.DISK, null, 32, Map.of()));
        Path image = home.resolve("volumes/blk/disk.ext4");
        assertEquals(image, disk.path());
        assertEquals(32L << 20, Files.size(image));
        assertTrue(disk.usedBytes() > 0 && disk.usedBytes() < Files.size(image), "sparse: " + disk.usedBytes());
        // ext4's superblock magic 0xEF53 at byte 1024 + 56
        byte[] head = new byte[1024 + 58];
        try (var in = Files.newInputStream(image)) {
            assertEquals(head.length, in.readNBytes(head, 0, head.length));
        }
        assertEquals(0x53, head[1024 + 56] & 0xff);
        assertEquals(0xEF, head[1024 + 57] & 0xff);
        assertEquals("quotaMib", assertThrows(InvalidConfigException.class,
                () -> volumes.update("blk", 5, null)).field());
        assertEquals("name", assertThrows(InvalidConfigException.class, () -> volumes.files("blk")).field());
        volumes.remove("blk");
        assertFalse(Files.exists(image));
    }

    @Test
    void aVolumeMountedBySandboxesIsInUseAndPruneKeepsIt() {
        volumes.create(VolumeSpec.directory("shared"));
        volumes.create(VolumeSpec.directory("lonely"));
        volumes.create(VolumeSpec.directory("spare"));
        sandbox("web", "shared");
        sandbox("api", "shared", "other-not-created");
        assertEquals(List.of("api", "web"), volumes.get("shared").orElseThrow().usedBy());
        assertEquals(List.of(), volumes.get("lonely").orElseThrow().usedBy());

        var e = assertThrows(VolumeInUseException.class, () -> volumes.remove("shared"));
        assertEquals(List.of("api", "web"), e.sandboxes());
        assertTrue(Files.isDirectory(home.resolve("volumes/shared/data")));

        volumes.remove("lonely");
        assertEquals(List.of("spare"), volumes.prune());
        assertEquals(List.of("shared"), volumes.list().stream().map(VolumeInfo::name).toList());

        msb.service(SandboxService.class).remove("web", true);
        msb.service(SandboxService.class).remove("api", true);
        assertEquals(List.of("shared"), volumes.prune());
    }

    @Test
    void aKilledCreateLeavesNothingThatListsOrBlocksTheName() throws Exception {
        // killed while building: a staging directory
        Path staging = Files.createDirectories(home.resolve("volumes/.creating-" + UUID.randomUUID() + "/data"));
        // killed between the rename into place and the record: a volume directory no record names
        Path orphan = Files.createDirectories(home.resolve("volumes/half/data"));
        Files.writeString(orphan.resolve("f"), "x");
        // killed during a remove, after the rename away
        Path trash = Files.createDirectories(home.resolve("volumes/.removing-" + UUID.randomUUID() + "/data"));
        // a record whose storage a hand outside msb deleted
        Instant now = Instant.now();
        records.insertVolume(new VolumeRecord(UUID.randomUUID(), VolumeSpec.directory("gone"), now, now));

        volumes = restart();
        assertFalse(Files.exists(staging.getParent()));
        assertFalse(Files.exists(orphan.getParent()));
        assertFalse(Files.exists(trash.getParent()));
        assertEquals(List.of(), volumes.list());

        // an orphan that appears while running (a remove killed between its record and its rename) does not block
        Files.createDirectories(home.resolve("volumes/again/data"));
        Files.writeString(home.resolve("volumes/again/data/old"), "stale");
        VolumeInfo again = volumes.create(VolumeSpec.directory("again"));
        assertEquals(0, again.usedBytes());
        assertEquals(List.of(), volumes.files("again").list("/"));
    }
}
