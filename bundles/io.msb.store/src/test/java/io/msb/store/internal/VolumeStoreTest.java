package io.msb.store.internal;

import static io.msb.store.internal.StoreFixture.T0;
import static io.msb.store.internal.StoreFixture.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.store.VolumeRecord;
import io.msb.api.store.VolumeStore;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Named volumes and their labels through {@link VolumeStore}, on a real H2 file migrated to V4. */
class VolumeStoreTest extends WithOpenStore {
    VolumeStore store;

    @BeforeEach
    void volumes() {
        store = db.volumes();
    }

    private static VolumeRecord volume(String name, VolumeKind kind, Integer quota, Integer capacity,
            Map<String, String> labels) {
        return new VolumeRecord(UUID.nameUUIDFromBytes(name.getBytes()),
                new VolumeSpec(name, kind, quota, capacity, labels), T0, T0);
    }

    @Test
    void recordsFindsUpdatesAndDeletes() throws Exception {
        VolumeRecord cache = volume("pip-cache", VolumeKind.DIRECTORY, 512, null, Map.of("team", "a", "env", "x"));
        VolumeRecord disk = volume("data.1", VolumeKind.DISK, null, 64, Map.of());
        store.insertVolume(cache);
        store.insertVolume(disk);
        assertEquals(Optional.of(cache), store.findVolume("pip-cache"));
        assertEquals(Optional.of(disk), store.findVolumeById(disk.id()));
        assertEquals(List.of(disk, cache), store.listVolumes());
        assertEquals(Optional.empty(), store.findVolume("nope"));

        assertThrows(AlreadyExistsException.class, () -> store.insertVolume(
                volume("pip-cache", VolumeKind.DIRECTORY, null, null, Map.of())));

        // quota only: labels stay; labels only: quota stays
        VolumeRecord quota = store.updateVolume("pip-cache", 1024, null, T0.plusSeconds(5)).orElseThrow();
        assertEquals(new VolumeRecord(cache.id(), new VolumeSpec("pip-cache", VolumeKind.DIRECTORY, 1024, null,
                cache.spec().labels()), T0, T0.plusSeconds(5)), quota);
        VolumeRecord relabelled = store.updateVolume("pip-cache", null, Map.of("k", "v"), T0.plusSeconds(6))
                .orElseThrow();
        assertEquals(1024, relabelled.spec().quotaMib());
        assertEquals(Map.of("k", "v"), relabelled.spec().labels());
        assertEquals(relabelled, store.findVolume("pip-cache").orElseThrow());
        assertEquals(Optional.empty(), store.updateVolume("nope", 1, null, T0));

        assertTrue(store.deleteVolume("pip-cache"));
        assertFalse(store.deleteVolume("pip-cache"));
        assertEquals(0, count(home, "SELECT COUNT(*) FROM volume_labels"));
        assertEquals(List.of(disk), store.listVolumes());
    }

    @Test
    void refusesValuesTheColumnsCannotHold() {
        var e = assertThrows(InvalidConfigException.class, () -> store.insertVolume(
                volume("v", VolumeKind.DIRECTORY, null, null, Map.of("", "x"))));
        assertEquals("labels", e.field());
        assertEquals(List.of(), store.listVolumes());
    }

    @Test
    void recordsSurviveReopening() {
        VolumeRecord v = volume("keep", VolumeKind.DIRECTORY, null, null, Map.of("a", "b"));
        store.insertVolume(v);
        db.close();
        db = H2Store.open(home, 2);
        assertEquals(List.of(v), db.volumes().listVolumes());
    }
}
