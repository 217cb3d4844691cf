package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.AlreadyExistsException;
import io.msb.api.InvalidConfigException;
import io.msb.api.InvalidStateException;
import io.msb.api.NotFoundException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.SandboxStatus;
import io.msb.api.snapshot.SnapshotCorruptException;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import io.msb.protocol.AgentConnector;
import io.msb.testing.EmbeddedMsb;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot service over the real store and runtime (no VM: the sandboxes are records with an upper file). */
class LocalSnapshotServiceTest {
    @TempDir
    Path home;

    private EmbeddedMsb msb;
    private SandboxStore store;
    private SandboxLifecycle sandboxes;
    private RuntimeSettings settings;
    private final List<Process> strays = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        msb = EmbeddedMsb.builder(home).bundles("io.msb.store").start();
        store = msb.service(SandboxStore.class);
        settings = new RuntimeSettings(home, 1, 256, "qemu", Duration.ofMillis(500));
        sandboxes = new SandboxLifecycle(store, settings, List::of, AgentConnector.withDefaults(), () -> null,
                () -> null);
    }

    @AfterEach
    void close() {
        sandboxes.deactivate();
        strays.forEach(Process::destroyForcibly);
        msb.close();
    }

    private LocalSnapshotService service() {
        return new LocalSnapshotService(settings, sandboxes, () -> null);
    }

    /** A stopped sandbox whose upper disk holds {@code content} at 1 MiB into a 16 MiB sparse file. */
    private byte[] stopped(String name, String content) throws Exception {
        insert(name, SandboxStatus.STOPPED);
        Path upper = Files.createDirectories(settings.sandboxDir(name)).resolve("upper.ext4");
        try (RandomAccessFile f = new RandomAccessFile(upper.toFile(), "rw")) {
            f.setLength(16 << 20);
            f.seek(1 << 20);
            f.write(content.getBytes());
        }
        return Files.readAllBytes(upper);
    }

    private void insert(String name, SandboxStatus status) {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord(name, SpecJson.write(SandboxSpec.builder(name).image("alpine:3.20")
                .cpus(2).memoryMib(300).env("K", "V").build()), status, false, Map.of(), now, now));
    }

    @Test
    void capturesAStoppedSandboxsUpperWithItsSpec() throws Exception {
        byte[] upper = stopped("dev", "installed");
        LocalSnapshotService snapshots = service();
        SnapshotInfo s = snapshots.create("snap-1", "dev", Map.of("team", "ml"), false);

        assertEquals("snap-1", s.name());
        assertEquals("dev", s.sourceSandbox());
        assertEquals("docker.io/library/alpine:3.20", s.imageRef(), "the reference in full");
        assertEquals(16 << 20, s.sizeBytes());
        assertEquals(Map.of("team", "ml"), s.labels());
        assertEquals(2, s.spec().cpus());
        assertEquals(Map.of("K", "V"), s.spec().env());
        assertEquals(home.resolve("snapshots/snap-1"), s.path());
        assertArrayEquals(upper, Files.readAllBytes(s.path().resolve("upper.ext4")));
        assertEquals(SnapshotManifest.sha256(Files.readAllBytes(s.path().resolve("snapshot.json"))), s.digest());
        assertEquals(s, snapshots.get("snap-1").orElseThrow());
        assertEquals(List.of("snap-1"), snapshots.list().stream().map(SnapshotInfo::name).toList());
        assertEquals(s, snapshots.verify("snap-1"));

        assertThrows(AlreadyExistsException.class, () -> snapshots.create("snap-1", "dev", Map.of(), false));
        stopped("dev2", "other");
        SnapshotInfo replaced = snapshots.create("snap-1", "dev2", Map.of(), true);
        assertEquals("dev2", replaced.sourceSandbox());

        snapshots.remove("snap-1");
        assertTrue(snapshots.list().isEmpty());
        assertFalse(Files.exists(home.resolve("snapshots/snap-1")));
        assertThrows(NotFoundException.class, () -> snapshots.remove("snap-1"));
    }

    @Test
    void aSnapshotKeepsItsOwnSecretReferencesAndForgetsThemWithIt() throws Exception {
        SandboxSecretsTest.MemoryStore secrets = new SandboxSecretsTest.MemoryStore();
        sandboxes.secretStore(secrets);
        secrets.put("sandbox/sec/TOKEN", SandboxSecretsTest.VALUE);
        Instant now = Instant.now();
        SandboxSpec spec = SandboxSpec.builder("sec").image("alpine:3.20").network(io.msb.api.network.NetworkConfig
                .defaults().withSecrets(new io.msb.api.network.SecretsConfig(List.of(SandboxSecretsTest.inline("TOKEN")
                        .withSource(io.msb.api.network.SecretSource.store("sandbox/sec/TOKEN"))), null))).build();
        store.insertSandbox(new SandboxRecord("sec", SpecJson.write(spec), SandboxStatus.STOPPED, false, Map.of(), now,
                now));
        Path upper = Files.createDirectories(settings.sandboxDir("sec")).resolve("upper.ext4");
        Files.write(upper, new byte[4096]);
        LocalSnapshotService snapshots = service();
        SnapshotInfo s = snapshots.create("with-secret", "sec", Map.of(), false);
        assertEquals(io.msb.api.network.SecretSource.store("snapshot/with-secret/TOKEN"),
                s.spec().network().secrets().entries().get(0).source());
        assertFalse(Files.readString(s.path().resolve("snapshot.json")).contains(SandboxSecretsTest.VALUE));
        assertEquals(SandboxSecretsTest.VALUE, secrets.values.get("snapshot/with-secret/TOKEN"));
        sandboxes.remove("sec", true);
        assertEquals(Map.of("snapshot/with-secret/TOKEN", SandboxSecretsTest.VALUE), secrets.values,
                "the snapshot's copy outlives its sandbox");
        snapshots.remove("with-secret");
        assertTrue(secrets.values.isEmpty());
    }

    @Test
    void refusesASandboxThatIsNotStoppedNamingItsStatus() throws Exception {
        Process alive = new ProcessBuilder("sleep", "1000").start();
        strays.add(alive);
        insert("busy", SandboxStatus.CREATED);
        store.startRun("busy", alive.pid(), Instant.now(), SandboxStatus.RUNNING);
        Files.createDirectories(settings.sandboxDir("busy"));
        Files.write(settings.sandboxDir("busy").resolve("upper.ext4"), new byte[4096]);

        InvalidStateException e = assertThrows(InvalidStateException.class,
                () -> service().create("s", "busy", Map.of(), false));
        assertEquals("cannot snapshot sandbox busy: it is running (only a stopped sandbox can be snapshotted; "
                + "stop it first)", e.getMessage());
        assertThrows(NotFoundException.class, () -> service().create("s", "nobody", Map.of(), false));
        assertFalse(Files.exists(home.resolve("snapshots/s")));
    }

    @Test
    void namesFollowMicrosandboxsRule() throws Exception {
        stopped("dev", "x");
        LocalSnapshotService snapshots = service();
        for (String bad : List.of("", ".hidden", "-opt", "a/b", "..", "x".repeat(64), "sp ace")) {
            InvalidConfigException e = assertThrows(InvalidConfigException.class,
                    () -> snapshots.create(bad, "dev", Map.of(), false), bad);
            assertEquals("name", e.field());
        }
        assertEquals("ok_1.v-2", snapshots.create("ok_1.v-2", "dev", Map.of(), false).name());
        assertEquals("x".repeat(63), snapshots.create("x".repeat(63), "dev", Map.of(), false).name());
    }

    /** A create killed before its rename leaves a staging directory: it never lists and a restart deletes it. */
    @Test
    void aKilledCreateLeavesNothingThatLists() throws Exception {
        stopped("dev", "x");
        LocalSnapshotService snapshots = service();
        SnapshotInfo good = snapshots.create("good", "dev", Map.of(), false);
        // what kill -9 leaves at any point before the rename: a staging directory, complete or not
        Path staging = Files.createDirectory(home.resolve("snapshots/" + LocalSnapshotService.CREATING + "dead"));
        Files.copy(good.path().resolve("upper.ext4"), staging.resolve("upper.ext4"));
        Files.copy(good.path().resolve("snapshot.json"), staging.resolve("snapshot.json"));
        Path half = Files.createDirectory(home.resolve("snapshots/" + LocalSnapshotService.CREATING + "half"));
        Files.write(half.resolve("upper.ext4"), new byte[10]);
        assertEquals(List.of("good"), snapshots.list().stream().map(SnapshotInfo::name).toList());

        LocalSnapshotService restarted = service();
        assertFalse(Files.exists(staging));
        assertFalse(Files.exists(half));
        assertEquals(List.of("good"), restarted.list().stream().map(SnapshotInfo::name).toList());
    }

    @Test
    void verifyFindsAFlippedByte() throws Exception {
        stopped("dev", "installed");
        LocalSnapshotService snapshots = service();
        SnapshotInfo s = snapshots.create("snap", "dev", Map.of(), false);
        try (RandomAccessFile f = new RandomAccessFile(s.path().resolve("upper.ext4").toFile(), "rw")) {
            f.seek(1 << 20);
            f.write('I');
        }
        String message = assertThrows(SnapshotCorruptException.class, () -> snapshots.verify("snap")).getMessage();
        assertTrue(message.startsWith("snapshot snap: upper.ext4 has digest sha256:"), message);
        assertTrue(message.endsWith("the manifest says " + s.upperDigest()), message);
        assertThrows(SnapshotCorruptException.class,
                () -> snapshots.copyUpperTo("snap", home.resolve("new-upper.ext4")));
        assertFalse(Files.exists(home.resolve("new-upper.ext4")), "a copy that failed the check is not left");
    }

    @Test
    void exportAndImportRoundTripAndCheckTheDigest() throws Exception {
        byte[] upper = stopped("dev", "installed");
        LocalSnapshotService snapshots = service();
        SnapshotInfo s = snapshots.create("snap", "dev", Map.of("a", "b"), false);
        Path file = home.resolve("snap.tar");
        snapshots.exportTo("snap", file);
        snapshots.remove("snap");

        SnapshotInfo imported = snapshots.importFrom(file, null, false);
        assertEquals("snap", imported.name());
        assertEquals(s.digest(), imported.digest(), "the manifest comes back byte for byte");
        assertArrayEquals(upper, Files.readAllBytes(imported.path().resolve("upper.ext4")));
        assertTrue(Files.size(file) > upper.length, "the tar holds the whole disk");
        assertEquals("copy", snapshots.importFrom(file, "copy", false).name());
        assertThrows(AlreadyExistsException.class, () -> snapshots.importFrom(file, "copy", false));

        // flip a byte of the disk inside the tar: the import is refused and leaves nothing
        byte[] tar = Files.readAllBytes(file);
        int at = indexOf(tar, "installed".getBytes());
        tar[at] = 'X';
        Path bad = Files.write(home.resolve("bad.tar"), tar);
        assertThrows(SnapshotCorruptException.class, () -> snapshots.importFrom(bad, null, false));
        assertEquals(List.of("copy", "snap"), snapshots.list().stream().map(SnapshotInfo::name).toList());
        try (var entries = Files.list(home.resolve("snapshots"))) {
            assertEquals(2, entries.count(), "no staging directory is left");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void refusesARootThatIsNotAnImage() throws Exception {
        Instant now = Instant.now();
        store.insertSandbox(new SandboxRecord("raw", SpecJson.write(SandboxSpec.builder("raw")
                .rootfs(new RootfsSource.DiskImage(home.resolve("r.img"), RootfsSource.DiskImage.Format.RAW))
                .cpus(1).memoryMib(256).build()), SandboxStatus.STOPPED, false, Map.of(), now, now));
        assertEquals("sourceSandbox", assertThrows(InvalidConfigException.class,
                () -> service().create("s", "raw", Map.of(), false)).field());
    }
}
