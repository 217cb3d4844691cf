package io.msb.runtime.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.api.InvalidConfigException;
import io.msb.api.RootfsSource;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FromSnapshotTest {
    private static final String IMAGE_DIGEST = "sha256:" + "cd".repeat(32);

    private static SnapshotInfo snapshot(SandboxSpec spec) {
        return new SnapshotInfo("snap", "sha256:" + "00".repeat(32), "dev", "docker.io/library/alpine:3.20",
                IMAGE_DIGEST, spec, 1, "sha256:" + "ab".repeat(32), Map.of(), Instant.EPOCH, Path.of("/x"));
    }

    @Test
    void bootsTheSnapshotsImagePinnedWithItsSettingsUnlessGiven() {
        SandboxSpec source = SandboxSpec.builder("dev").image("alpine:3.20").cpus(2).memoryMib(512).diskSizeMib(64)
                .env("A", "1").env("B", "1").label("l", "src").workdir("/srv").hostname("dev")
                .idleTimeout(Duration.ofMinutes(5)).build();
        SandboxSpec asked = SandboxSpec.builder("new").fromSnapshot("snap").memoryMib(1024).env("B", "2").build();

        SandboxSpec spec = FromSnapshot.spec(asked, snapshot(source), ref -> Optional.of("sha256:" + "ee".repeat(32)));
        assertEquals("new", spec.name());
        assertEquals("docker.io/library/alpine:3.20@" + IMAGE_DIGEST,
                ((RootfsSource.OciImage) spec.rootfs()).reference().toString());
        assertEquals(2, spec.cpus());
        assertEquals(1024, spec.memoryMib());
        assertEquals(64, spec.diskSizeMib());
        assertEquals(Map.of("A", "1", "B", "2"), spec.env());
        assertEquals(Map.of("l", "src"), spec.labels());
        assertEquals("/srv", spec.workdir());
        assertNull(spec.hostname(), "a new sandbox is a new identity");
        assertEquals(Duration.ofMinutes(5), spec.idleTimeout());
        assertNull(spec.fromSnapshot(), "the resolved spec, as stored, has no snapshot");
    }

    @Test
    void aManifestWithoutSpecGivesTheImageOnly() {
        SandboxSpec spec = FromSnapshot.spec(SandboxSpec.builder("new").fromSnapshot("snap").cpus(3).build(),
                snapshot(null), ref -> Optional.empty());
        assertEquals(3, spec.cpus());
        assertEquals("docker.io/library/alpine:3.20@" + IMAGE_DIGEST,
                ((RootfsSource.OciImage) spec.rootfs()).reference().toString());
    }

    /** While the cache holds the tag at the recorded digest, the sandbox boots it by its tag (no registry needed). */
    @Test
    void theCachedImageAtTheSameDigestBootsByItsReference() {
        SandboxSpec spec = FromSnapshot.spec(SandboxSpec.builder("new").fromSnapshot("snap").build(), snapshot(null),
                ref -> Optional.of(IMAGE_DIGEST));
        assertEquals("docker.io/library/alpine:3.20", ((RootfsSource.OciImage) spec.rootfs()).reference().toString());
    }

    @Test
    void anImageCannotBeCombinedWithASnapshot() {
        InvalidConfigException e = assertThrows(InvalidConfigException.class,
                () -> SandboxSpec.builder("x").image("alpine").fromSnapshot("snap").build());
        assertEquals("image", e.field());
        assertEquals("invalid config: image: cannot be combined with fromSnapshot snap: a sandbox from a snapshot "
                + "boots the snapshot's image", e.getMessage());
    }
}
