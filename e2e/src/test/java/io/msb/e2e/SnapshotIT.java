package io.msb.e2e;

import static io.msb.e2e.Platform.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.InvalidStateException;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.snapshot.SnapshotCorruptException;
import io.msb.api.snapshot.SnapshotInfo;
import io.msb.api.snapshot.SnapshotService;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Disk snapshots of real VMs (decisions 1230-1235): what a sandbox wrote to its root is in a sandbox created from
 * its snapshot after the original is gone, also after an export, a remove and an import; a running sandbox is refused;
 * a changed byte in the snapshot's disk is found by verify and by a create from it.
 */
@ExtendWith(PlatformExtension.class)
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES) // a hang guard, not a time assertion
class SnapshotIT {
    private static Platform platform;

    @BeforeAll
    static void platform(Platform shared) {
        platform = shared;
    }

    private static SandboxHandle fromSnapshot(String name, String snapshot) {
        return platform.runtime().create(SandboxSpec.builder(name).fromSnapshot(snapshot).replace(true).build());
    }

    @Test
    void aSandboxFromASnapshotHasWhatTheSourceWrote() throws Exception {
        SnapshotService snapshots = platform.snapshots();
        SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-snap-src").image(Platform.IMAGE)
                .env("FROM_SPEC", "yes").replace(true).build());
        try {
            var wrote = sh(box, "mkdir -p /root && echo installed > /root/installed.txt"
                    + " && echo 'snapuser:x:1234:1234::/tmp:/bin/sh' >> /etc/passwd && sync");
            assertTrue(wrote.exit().success(), wrote.stderrText());
            InvalidStateException running = assertThrows(InvalidStateException.class,
                    () -> snapshots.create("e2e-snap", "e2e-snap-src", Map.of(), false));
            assertEquals("cannot snapshot sandbox e2e-snap-src: it is running (only a stopped sandbox can be "
                    + "snapshotted; stop it first)", running.getMessage());
            platform.runtime().stop("e2e-snap-src", Duration.ofSeconds(10));
            SnapshotInfo snap = snapshots.create("e2e-snap", "e2e-snap-src", Map.of("purpose", "e2e"), false);
            assertEquals("e2e-snap-src", snap.sourceSandbox());
            assertEquals(snap, snapshots.verify("e2e-snap"));
        } finally {
            platform.runtime().remove("e2e-snap-src", true);
        }

        SandboxHandle copy = fromSnapshot("e2e-snap-copy", "e2e-snap");
        try {
            assertEquals("installed\n", sh(copy, "cat /root/installed.txt").stdoutText());
            assertEquals("snapuser\n", sh(copy, "grep -o '^snapuser' /etc/passwd").stdoutText());
            assertEquals("yes\n", sh(copy, "echo $FROM_SPEC").stdoutText(), "the snapshot's spec gives the env");
        } finally {
            platform.runtime().remove("e2e-snap-copy", true);
        }

        Path file = platform.home.resolve("e2e-snap.tar");
        snapshots.exportTo("e2e-snap", file);
        snapshots.remove("e2e-snap");
        assertTrue(snapshots.get("e2e-snap").isEmpty());
        assertEquals("e2e-snap", snapshots.importFrom(file, null, false).name());
        SandboxHandle again = fromSnapshot("e2e-snap-again", "e2e-snap");
        try {
            assertEquals("installed\n", sh(again, "cat /root/installed.txt").stdoutText());
        } finally {
            platform.runtime().remove("e2e-snap-again", true);
        }

        // a byte of the disk flipped: verify names it, and no sandbox is created from it
        Path upper = snapshots.get("e2e-snap").orElseThrow().path().resolve("upper.ext4");
        try (RandomAccessFile f = new RandomAccessFile(upper.toFile(), "rw")) {
            f.seek(1024 + 100); // inside the ext4 superblock
            int b = f.read();
            f.seek(1024 + 100);
            f.write(b ^ 0xff);
        }
        assertThrows(SnapshotCorruptException.class, () -> snapshots.verify("e2e-snap"));
        assertThrows(SnapshotCorruptException.class, () -> fromSnapshot("e2e-snap-bad", "e2e-snap"));
        assertTrue(platform.runtime().get("e2e-snap-bad").isEmpty(), "a refused create leaves no sandbox");
        assertFalse(Files.exists(platform.home.resolve("sandboxes/e2e-snap-bad/upper.ext4")));
        snapshots.remove("e2e-snap");
    }
}
