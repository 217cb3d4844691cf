package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.ImageStore;
import io.msb.api.store.SandboxStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The component's path outside a framework: H2's own DataSourceFactory (the one its bundle registers), both stores
 * over one database, closing. Registration in a framework: {@link FelixResolutionTest}.
 */
class StoreComponentTest {
    @TempDir
    Path home;

    private final OsgiDataSourceFactory factory = new OsgiDataSourceFactory(org.h2.Driver.load());

    @Test
    void bothStoresShareOneDatabaseAndCloseWithIt() {
        H2Store db = H2Store.open(factory, home, 3, StoreConfig.COMPACT_ABOVE_MIB);
        SandboxStore sandboxes = db.sandboxes();
        ImageStore images = db.images();
        sandboxes.insertSandbox(StoreFixture.sandbox("c", Map.of()));
        images.saveImage(new ImageRecord("alpine:3", "sha256:m", "sha256:c", "{}", List.of(), StoreFixture.T0));
        assertTrue(Files.exists(home.resolve("db/msb.mv.db")));
        db.close();
        var closed = assertThrows(MsbException.class, () -> sandboxes.findSandbox("c"));
        assertEquals("store is closed (findSandbox)", closed.getMessage());
        assertEquals("store is closed (listImages)",
                assertThrows(MsbException.class, images::listImages).getMessage());

        try (H2Store again = H2Store.open(factory, home, 3, StoreConfig.COMPACT_ABOVE_MIB)) {
            assertEquals("c", again.sandboxes().findSandbox("c").orElseThrow().name());
            assertEquals("alpine:3", again.images().findImage("alpine:3").orElseThrow().reference());
        }
    }

    @Test
    void rejectsAnEmptyPool() {
        var e = assertThrows(InvalidConfigException.class, () -> H2Store.open(factory, home, 0, 64));
        assertEquals("invalid config: maxConnections: must be at least 1: 0", e.getMessage());
    }

    @Test
    void rejectsACompactionThresholdBelowOneMib() {
        var e = assertThrows(InvalidConfigException.class, () -> H2Store.open(factory, home, 3, 0));
        assertEquals("invalid config: compactAboveMib: must be at least 1: 0", e.getMessage());
    }
}
