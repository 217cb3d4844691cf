package io.msb.store.internal;

import static io.msb.store.internal.StoreFixture.count;
import static io.msb.store.internal.StoreFixture.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.LabelSelector;
import io.msb.api.SandboxStatus;
import io.msb.api.TerminationReason;
import io.msb.api.store.ImageRecord;
import io.msb.api.store.ImageStore;
import io.msb.api.store.LayerRecord;
import io.msb.api.store.RunRecord;
import io.msb.api.store.SandboxRecord;
import io.msb.api.store.SandboxStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database written by the released store (main@906ea78, schema V1, one store for everything; decision 0107 says
 * how the checked-in file was made) opens with this code: the migrations bring it up to date and its sandboxes,
 * runs and images are all there and usable through the split stores.
 */
class ReleaseUpgradeTest {
    private static final Instant T0 = Instant.parse("2026-12-05T20:00:00.123456789Z");
    private static final String TGZ = "application/vnd.oci.image.layer.v1.tar+gzip";

    @TempDir
    Path home;

    @Test
    void aDatabaseOfTheReleaseUpgradesKeepingSandboxesRunsAndImages() throws Exception {
        unpackRelease();
        assertEquals(1, count(home, "SELECT MAX(version) FROM schema_version"), "the file is a V1 database");
        try (H2Store db = H2Store.open(home, 2)) {
            assertEquals(Migrations.latest(), count(home, "SELECT MAX(version) FROM schema_version"));
            SandboxStore sandboxes = db.sandboxes();
            ImageStore images = db.images();

            String spec = "{\"name\":\"%s\",\"image\":\"alpine:3.20\",\"cpus\":1,\"memoryMib\":256}";
            List<SandboxRecord> upgraded = sandboxes.listSandboxes(LabelSelector.ALL);
            // V3 gave every row a public id of its own, by which it is found
            List<UUID> ids = upgraded.stream().map(SandboxRecord::id).toList();
            assertEquals(3, new HashSet<>(ids).size(), "distinct ids: " + ids);
            for (SandboxRecord r : upgraded) {
                assertEquals(Optional.of(r), sandboxes.findSandboxById(r.id()));
            }
            assertEquals(List.of(
                    new SandboxRecord(ids.get(0), "idle", spec.formatted("idle"), SandboxStatus.STOPPED, false,
                            Map.of(), T0, T0),
                    new SandboxRecord(ids.get(1), "job", spec.formatted("job"), SandboxStatus.CRASHED, true,
                            Map.of("team", "b"), T0, T0.plusSeconds(3)),
                    new SandboxRecord(ids.get(2), "web", spec.formatted("web"), SandboxStatus.RUNNING, false,
                            Map.of("team", "a", "tier", "gold"), T0, T0.plusSeconds(6))),
                    upgraded);
            assertEquals(List.of("web"), sandboxes.listSandboxes(LabelSelector.parse("tier=gold")).stream()
                    .map(SandboxRecord::name).toList());

            List<RunRecord> webRuns = sandboxes.runs("web");
            assertEquals(2, webRuns.size());
            RunRecord done = webRuns.get(0);
            assertEquals(new RunRecord(done.id(), "web", 4242, T0.plusSeconds(1), T0.plusSeconds(5),
                    TerminationReason.COMPLETED, 0, null), done);
            RunRecord open = sandboxes.latestRun("web").orElseThrow();
            assertEquals(new RunRecord(open.id(), "web", 4343, T0.plusSeconds(6), null, null, null, null), open);
            RunRecord crashed = sandboxes.latestRun("job").orElseThrow();
            assertEquals(TerminationReason.SIGNAL, crashed.reason());
            assertEquals(9, crashed.signal());
            assertEquals(List.of(), sandboxes.runs("idle"));

            LayerRecord alpineLayer = new LayerRecord("sha256:" + "a1".repeat(32), "sha256:" + "b1".repeat(32), TGZ,
                    3_456_789);
            ImageRecord alpine = new ImageRecord("docker.io/library/alpine:3.20", "sha256:" + "11".repeat(32),
                    "sha256:" + "c1".repeat(32), "{\"Env\":[\"PATH=/bin\"]}", List.of(alpineLayer), T0);
            ImageRecord debian = new ImageRecord("127.0.0.1:5000/debian:bookworm", "sha256:" + "22".repeat(32),
                    "sha256:" + "c2".repeat(32), "{\"Cmd\":[\"bash\"]}", List.of(alpineLayer,
                            new LayerRecord("sha256:" + "a2".repeat(32), "sha256:" + "b2".repeat(32), TGZ, 1234)),
                    T0.plusSeconds(9));
            assertEquals(List.of(debian, alpine, new ImageRecord("docker.io/library/alpine:latest",
                    alpine.manifestDigest(), alpine.configDigest(), alpine.configJson(), alpine.layers(), T0)),
                    images.listImages());

            // usable: the open run ends and a new one starts, new rows go in, image collection still works
            sandboxes.terminateRun(open.id(), TerminationReason.SHUTDOWN_REQUESTED, 0, null, T0.plusSeconds(20),
                    SandboxStatus.STOPPED);
            RunRecord next = sandboxes.startRun("web", 4444, T0.plusSeconds(21), SandboxStatus.RUNNING);
            assertTrue(next.id() > open.id(), "run ids continue after the release's");
            sandboxes.insertSandbox(sandbox("after-upgrade", Map.of("k", "v")));
            assertTrue(sandboxes.deleteSandbox("idle"));
            assertTrue(images.deleteImage("docker.io/library/alpine:3.20"));
            assertTrue(images.deleteImage("docker.io/library/alpine:latest"));
            assertEquals(1, count(home, "SELECT COUNT(*) FROM manifests"));
            assertEquals(2, count(home, "SELECT COUNT(*) FROM layers"), "debian still uses the alpine layer");
        }
        try (H2Store db = H2Store.open(home, 2)) {
            assertEquals(List.of("after-upgrade", "job", "web"), db.sandboxes().listSandboxes(LabelSelector.ALL)
                    .stream().map(SandboxRecord::name).toList());
            assertEquals(4444, db.sandboxes().latestRun("web").orElseThrow().pid());
            assertFalse(db.images().findImage("docker.io/library/alpine:3.20").isPresent());
        }
    }

    private void unpackRelease() throws IOException {
        Path file = home.resolve("db/msb.mv.db");
        Files.createDirectories(file.getParent());
        try (InputStream gz = ReleaseUpgradeTest.class.getResourceAsStream("release/msb-906ea78.mv.db.gz")) {
            assertNotNull(gz, "test resource release/msb-906ea78.mv.db.gz is missing");
            try (InputStream in = new GZIPInputStream(gz)) {
                Files.copy(in, file);
            }
        }
    }
}
