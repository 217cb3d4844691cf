package io.msb.http.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeSpec;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The volume create body as the SDK and msb's CLI send it, and FileInfo as the SDK reads it. */
class VolumeMappingTest {
    private static Wire.VolumeCreateRequest body(String type, Long gib, Long quota, Long capacity) {
        return new Wire.VolumeCreateRequest("v", Map.of("k", "v"), gib, null, type, quota, capacity);
    }

    @Test
    void capacityGibIsADirectorysQuotaOrADisksCapacity() {
        // the SDK's quota(2048) arrives as capacity_gib: 2
        assertEquals(new VolumeSpec("v", VolumeKind.DIRECTORY, 2048, null, Map.of("k", "v")),
                VolumeRoutes.spec(body(null, 2L, null, null)));
        assertEquals(new VolumeSpec("v", VolumeKind.DISK, null, 1024, Map.of("k", "v")),
                VolumeRoutes.spec(body("disk", 1L, null, null)));
        assertEquals(new VolumeSpec("v", VolumeKind.DIRECTORY, 5, null, Map.of("k", "v")),
                VolumeRoutes.spec(body("dir", null, 5L, null)));
        assertEquals(new VolumeSpec("v", VolumeKind.DISK, null, 16, Map.of("k", "v")),
                VolumeRoutes.spec(body("disk", null, null, 16L)));
    }

    @Test
    void refusalsNameTheWireField() {
        assertEquals("capacity_gib: give capacity_gib or quota_mib, not both",
                assertThrows(ApiException.class, () -> VolumeRoutes.spec(body(null, 1L, 5L, null))).getMessage());
        assertEquals("type: must be dir or disk",
                assertThrows(ApiException.class, () -> VolumeRoutes.spec(body("nfs", null, null, null))).getMessage());
        assertEquals("capacity_gib: must be in [1, 2097151], got 0",
                assertThrows(ApiException.class, () -> VolumeRoutes.spec(body(null, 0L, null, null))).getMessage());
        ApiException storage = assertThrows(ApiException.class, () -> VolumeRoutes.spec(
                new Wire.VolumeCreateRequest("v", null, null, "object", null, null, null)));
        assertEquals(400, storage.status());
        assertEquals("storage: must be block", storage.getMessage());
    }

    @Test
    void fileInfoKindsAndReadonly() {
        Instant t = Instant.parse("2026-12-06T00:00:00Z");
        Wire.FileInfo file = VolumeRoutes.fileInfo(new FileStat("/a", FileType.FILE, 3, 0444, 1, 2, t));
        assertEquals(new Wire.FileInfo("/a", "file", 3, 0444, 1, 2, true, null, "2026-12-06T00:00:00Z", null), file);
        assertEquals("directory", VolumeRoutes.fileInfo(new FileStat("/d", FileType.DIRECTORY, 0, 0755, 0, 0, t)).kind());
        assertEquals("symlink", VolumeRoutes.fileInfo(new FileStat("/l", FileType.SYMLINK, 0, 0777, 0, 0, t)).kind());
    }
}
