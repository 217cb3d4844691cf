package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.NotFoundException;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.snapshot.SnapshotService;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.runtime.internal.SpecJson;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Gogo snapshot commands over the runtime's real SnapshotService (the sandboxes are records with a disk file). */
class SnapshotCommandsTest {
    @TempDir
    Path home;
    private EmbeddedMsb msb;
    private SnapshotCommands commands;
    private SandboxStore store;

    @BeforeEach
    void open() {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.protocol", "io.msb.store", "io.msb.runtime")
                .configure("io.msb.store", Map.of("maxConnections", 2)).start();
        store = msb.service(SandboxStore.class);
        commands = new SnapshotCommands(msb.service(SnapshotService.class));
    }

    @AfterEach
    void close() {
        msb.close();
    }

    private void sandbox(String name, SandboxStatus status) throws Exception {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, SpecJson.write(SandboxSpec.builder(name).image("alpine:3.20")
                .cpus(1).memoryMib(256).build()), status, false, Map.of(), now, now));
        Files.write(Files.createDirectories(home.resolve("sandboxes/" + name)).resolve("upper.ext4"),
                "disk bytes".getBytes());
    }

    @Test
    void createListInspectVerifyExportImportRemove() throws Exception {
        sandbox("dev", SandboxStatus.STOPPED);
        assertEquals("snap", commands.create(List.of("--label", "team=a", "dev", "snap")));
        String table = commands.ls(List.of());
        assertTrue(table.lines().findFirst().orElseThrow().matches("NAME +SOURCE +IMAGE +SIZE +CREATED"), table);
        assertTrue(table.contains("snap") && table.contains("docker.io/library/alpine:3.20"), table);
        assertEquals("snap", commands.ls(List.of("-q")));
        String inspect = commands.inspect(List.of("snap"));
        assertTrue(inspect.contains("Source:       dev") && inspect.contains("Labels:       {team=a}"), inspect);
        assertEquals("snap: ok", commands.verify(List.of("snap")));

        Path file = home.resolve("snap.tar");
        assertEquals(file.toString(), commands.export(List.of("snap", file.toString())));
        assertEquals("snap", commands.rm(List.of("snap")));
        assertEquals("", commands.ls(List.of("-q")));
        assertEquals("again", commands.importFrom(List.of(file.toString(), "again")));
        assertEquals("again", commands.ls(List.of("-q")));
    }

    @Test
    void refusalsAndUsage() {
        assertEquals("sandbox not found: nobody", assertThrows(NotFoundException.class,
                () -> commands.create(List.of("nobody", "snap"))).getMessage());
        assertEquals("usage: msb:" + SnapshotCommands.USAGE_CREATE,
                assertThrows(IllegalArgumentException.class, () -> commands.create(List.of("dev"))).getMessage());
        assertEquals("usage: msb:" + SnapshotCommands.USAGE_IMPORT,
                assertThrows(IllegalArgumentException.class, () -> commands.importFrom(List.of())).getMessage());
    }
}
