package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.volume.VolumeService;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The msb:volume-* commands against the real volume service, store and runtime in an embedded Felix. */
class VolumeCommandsTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private VolumeCommands commands;

    @BeforeEach
    void open() {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.runtime", "io.msb.volume")
                .configure("io.msb.store", Map.of("maxConnections", 2)).start();
        commands = new VolumeCommands(msb.service(VolumeService.class));
    }

    @AfterEach
    void close() {
        msb.close();
    }

    @Test
    void createListInspectRemovePrune() {
        assertEquals("cache", commands.create(List.of("--quota", "8", "--label", "team=a", "cache")));
        assertEquals("blk", commands.create(List.of("--kind", "disk", "--capacity", "16", "blk")));
        assertTrue(Files.isDirectory(home.resolve("volumes/cache/data")));
        String table = commands.ls(List.of());
        assertTrue(table.lines().findFirst().orElseThrow().matches("NAME +KIND +USED +LIMIT +IN USE BY +CREATED"), table);
        assertTrue(table.contains("cache") && table.contains("8.0 MiB") && table.contains("16.0 MiB"), table);
        assertEquals("blk\ncache", commands.ls(List.of("-q")).replace(System.lineSeparator(), "\n"));
        String inspected = commands.inspect(List.of("cache"));
        assertTrue(inspected.contains("Quota:      8 MiB") && inspected.contains("{team=a}"), inspected);
        assertEquals("labels", assertThrows(InvalidConfigException.class,
                () -> commands.create(List.of("--label", "nokey", "x"))).field());
        assertEquals("name", assertThrows(InvalidConfigException.class, () -> commands.create(List.of("a/b"))).field());
        assertThrows(IllegalArgumentException.class, () -> commands.create(List.of()));
        assertEquals("blk", commands.rm(List.of("blk")));
        assertEquals("cache", commands.prune(List.of("-f")));
        assertEquals("", commands.ls(List.of("-q")));
    }
}
