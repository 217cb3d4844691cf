package io.msb.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidConfigException;
import io.msb.api.NotFoundException;
import io.msb.api.SandboxInfo;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.runtime.internal.SpecJson;
import io.msb.testing.EmbeddedMsb;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Gogo snapshot commands over the runtime's real SnapshotService (the sandboxes are records with a disk file);
 * resumable snapshots and branch through {@link Resumable}, which records them, since the runtime refuses both until
 * its implementation lands.
 */
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
        assertTrue(table.lines().findFirst().orElseThrow().matches("NAME +SOURCE +IMAGE +SIZE +RESUMABLE +CREATED"),
                table);
        assertTrue(table.lines().skip(1).findFirst().orElseThrow().contains(" no "), table);
        assertTrue(table.contains("snap") && table.contains("docker.io/library/alpine:3.20"), table);
        assertEquals("snap", commands.ls(List.of("-q")));
        String inspect = commands.inspect(List.of("snap"));
        assertTrue(inspect.contains("Source:       dev") && inspect.contains("Labels:       {team=a}"), inspect);
        assertTrue(inspect.contains("Resumable:    no"), inspect);
        assertEquals("snap: ok", commands.verify(List.of("snap")));

        Path file = home.resolve("snap.tar");
        assertEquals(file.toString(), commands.export(List.of("snap", file.toString())));
        assertEquals("snap", commands.rm(List.of("snap")));
        assertEquals("", commands.ls(List.of("-q")));
        assertEquals("again", commands.importFrom(List.of(file.toString(), "again")));
        assertEquals("again", commands.ls(List.of("-q")));
    }

    @Test
    void memoryTakesAResumableSnapshotThatListsAndInspectsAsOne() throws Exception {
        sandbox("dev", SandboxStatus.STOPPED);
        Resumable resumable = new Resumable(msb.service(SnapshotService.class));
        SnapshotCommands commands = new SnapshotCommands(resumable);
        assertEquals("warm", commands.create(List.of("--memory", "-f", "--label", "k=v", "dev", "warm")));
        assertEquals(List.of("createResumable warm dev {k=v} true"), resumable.calls);
        assertEquals("cold", commands.create(List.of("dev", "cold"))); // without --memory: the disk snapshot
        assertEquals(1, resumable.calls.size());
        List<String> rows = commands.ls(List.of()).lines().skip(1).toList();
        assertEquals(2, rows.size(), rows.toString());
        assertTrue(rows.get(0).matches("cold +dev .* no .*"), rows.get(0));
        assertTrue(rows.get(1).matches("warm +dev .* yes .*"), rows.get(1));
        assertTrue(commands.inspect(List.of("warm")).contains("Resumable:    yes"));
    }

    @Test
    void branchMakesCountSandboxesNamedAfterThePrefixOrTheGivenNames() {
        Resumable resumable = new Resumable(msb.service(SnapshotService.class));
        SnapshotCommands commands = new SnapshotCommands(resumable);
        String nl = System.lineSeparator();
        assertEquals("warm-1" + nl + "warm-2" + nl + "warm-3", commands.branch(List.of("warm", "3")));
        assertEquals("w-1" + nl + "w-2", commands.branch(List.of("warm", "2", "--name-prefix", "w")));
        assertEquals("a" + nl + "b", commands.branch(List.of("warm", "--name", "a", "--name", "b")));
        assertEquals(List.of("branch warm [warm-1, warm-2, warm-3]", "branch warm [w-1, w-2]", "branch warm [a, b]"),
                resumable.calls);

        assertEquals("invalid config: COUNT must be a whole number in [1, 64], got 65", assertThrows(
                InvalidConfigException.class, () -> commands.branch(List.of("warm", "65"))).getMessage());
        assertEquals("invalid config: COUNT must be a whole number in [1, 64], got two", assertThrows(
                InvalidConfigException.class, () -> commands.branch(List.of("warm", "two"))).getMessage());
        assertEquals("invalid config: --name-prefix goes with COUNT, not --name", assertThrows(
                InvalidConfigException.class, () -> commands.branch(List.of("warm", "--name", "a", "--name-prefix",
                        "p"))).getMessage());
        for (List<String> wrong : List.of(List.<String>of(), List.of("warm"), List.of("warm", "2", "--name", "a"),
                List.of("warm", "2", "3"), List.of("warm", "--count", "2"))) {
            assertEquals("usage: msb:" + SnapshotCommands.USAGE_BRANCH, assertThrows(IllegalArgumentException.class,
                    () -> commands.branch(wrong)).getMessage(), wrong.toString());
        }
        assertEquals(3, resumable.calls.size(), "nothing refused reaches the service");
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

    /**
     * The runtime's service with resumable snapshots and branch recorded instead of refused: a resumable snapshot is
     * the record of the call (it lists and inspects), a branch answers one created sandbox per name.
     */
    static final class Resumable implements SnapshotService {
        final List<String> calls = new ArrayList<>();
        private final SnapshotService real;
        private final Map<String, SnapshotInfo> resumables = new LinkedHashMap<>();

        Resumable(SnapshotService real) {
            this.real = real;
        }

        @Override
        public SnapshotInfo create(String name, String sourceSandbox, Map<String, String> labels, boolean force) {
            return real.create(name, sourceSandbox, labels, force);
        }

        @Override
        public SnapshotInfo createResumable(String name, String sourceSandbox, Map<String, String> labels,
                boolean force) {
            calls.add("createResumable " + name + " " + sourceSandbox + " " + labels + " " + force);
            SnapshotInfo made = new SnapshotInfo(name, "sha256:00", sourceSandbox, "docker.io/library/alpine:3.20",
                    null, null, 10, "sha256:11", labels, Instant.now(), Path.of("/snapshots", name), true);
            resumables.put(name, made);
            return made;
        }

        @Override
        public List<SandboxInfo> branch(String name, List<String> sandboxNames) {
            calls.add("branch " + name + " " + sandboxNames);
            SandboxSpec spec = SandboxSpec.builder("x").image("alpine:3.20").build();
            return sandboxNames.stream().map(n -> new SandboxInfo(n, SandboxStatus.RUNNING, spec, Instant.EPOCH,
                    Instant.EPOCH, Optional.empty(), Optional.empty())).toList();
        }

        @Override
        public Optional<SnapshotInfo> get(String name) {
            return resumables.containsKey(name) ? Optional.of(resumables.get(name)) : real.get(name);
        }

        @Override
        public List<SnapshotInfo> list() {
            return Stream.concat(real.list().stream(), resumables.values().stream()).toList();
        }

        @Override
        public SnapshotInfo verify(String name) {
            return real.verify(name);
        }

        @Override
        public void remove(String name) {
            real.remove(name);
        }

        @Override
        public void exportTo(String name, Path file) {
            real.exportTo(name, file);
        }

        @Override
        public SnapshotInfo importFrom(Path file, String name, boolean force) {
            return real.importFrom(file, name, force);
        }
    }
}
