package io.msb.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.MsbException;
import java.lang.annotation.Annotation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.h2.util.OsgiDataSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The component's activation path outside a framework: H2's own DataSourceFactory (the one its bundle
 * registers), a configuration, activation, deactivation.
 */
class StoreComponentTest {
    @TempDir
    Path home;

    private static StoreConfig config(String home, int maxConnections) {
        return new StoreConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return StoreConfig.class;
            }

            @Override
            public String home() {
                return home;
            }

            @Override
            public int maxConnections() {
                return maxConnections;
            }
        };
    }

    @Test
    void activatesOnTheConfiguredHomeAndClosesOnDeactivate() {
        var factory = new OsgiDataSourceFactory(org.h2.Driver.load());
        StoreComponent store = new StoreComponent(config(home.toString(), 3), factory);
        store.insertSandbox(StoreFixture.sandbox("c", Map.of()));
        assertTrue(Files.exists(home.resolve("db/msb.mv.db")));
        store.deactivate();
        var closed = assertThrows(MsbException.class, () -> store.findSandbox("c"));
        assertEquals("store is closed (findSandbox)", closed.getMessage());

        StoreComponent again = new StoreComponent(config(home.toString(), 3), factory);
        assertEquals("c", again.findSandbox("c").orElseThrow().name());
        again.deactivate();
    }

    @Test
    void rejectsAnEmptyPool() {
        var e = assertThrows(InvalidConfigException.class, () -> new StoreComponent(config(home.toString(), 0),
                new OsgiDataSourceFactory(org.h2.Driver.load())));
        assertEquals("invalid config: maxConnections must be at least 1: 0", e.getMessage());
    }
}
