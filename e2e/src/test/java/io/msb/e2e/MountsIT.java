package io.msb.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.BootFailedException;
import io.msb.api.InvalidConfigException;
import io.msb.api.Mount;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import io.msb.api.volume.VolumeInUseException;
import io.msb.api.volume.VolumeKind;
import io.msb.api.volume.VolumeService;
import io.msb.api.volume.VolumeSpec;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts in real VMs (decisions 1200-1202): a host directory read-write (both ways) and read-only (EROFS), a sized
 * tmpfs with its options, an ext4 image written in the guest and read back on the host after the sandbox is gone, and
 * a guest that tries to leave its share through {@code ..}, symbolic links and a hard link. One VM boot for all of
 * that, one more for a mount that cannot be made.
 */
@ExtendWith(PlatformExtension.class)
class MountsIT {
    static final String NAME = "e2e-mounts";

    @Test
    void bindTmpfsAndDiskImageMountsAndNoWayOutOfAShare(Platform platform, @TempDir Path tmp) throws Exception {
        Path rw = Files.createDirectories(tmp.resolve("rw"));
        // QEMU touches shared files as the user it runs as (msb-qemu under a root server, decision 1201)
        Files.setPosixFilePermissions(rw, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(rw.resolve("from-host.txt"), "host wrote this\n");
        Files.writeString(ro.resolve("readme.txt"), "read only\n");
        Path secret = Files.writeString(tmp.resolve("outside-secret"), "host secret\n");
        Files.createSymbolicLink(rw.resolve("up"), Path.of("../outside-secret"));
        Files.createSymbolicLink(rw.resolve("abs"), secret);
        Path image = ext4Image(tmp.resolve("data.img"), 32);

        SandboxHandle box = create(platform, SandboxSpec.builder(NAME).image(Platform.IMAGE).replace(true)
                .mount(Mount.bind(rw.toString(), "/rw"))
                .mount(Mount.bind(ro.toString(), "/ro").asReadOnly())
                .mount(Mount.tmpfs("/scratch", 16).withOptions(false, true, true, true))
                .mount(Mount.diskImage(image.toString(), "/data", null, null))
                .build());

        // read-write, both ways
        assertEquals("host wrote this\n", ok(box, "cat /rw/from-host.txt"));
        ok(box, "echo guest wrote this > /rw/from-guest.txt");
        assertEquals("guest wrote this\n", Files.readString(rw.resolve("from-guest.txt")));
        Files.writeString(rw.resolve("later.txt"), "written while it runs\n");
        assertEquals("written while it runs\n", ok(box, "cat /rw/later.txt"));

        // read-only: the guest's write fails with EROFS and nothing reaches the host
        ExecResult denied = Platform.sh(box, "echo x > /ro/new.txt");
        assertNotEquals(0, denied.exit().code());
        assertTrue(denied.stderrText().contains("Read-only file system"), denied.stderrText());
        assertEquals("read only\n", ok(box, "cat /ro/readme.txt"));
        assertFalse(Files.exists(ro.resolve("new.txt")));

        // tmpfs: its size, its options
        String df = ok(box, "df -k /scratch | tail -n 1");
        assertTrue(df.matches("tmpfs\\s+16384\\s.*/scratch\\n"), df);
        String scratch = ok(box, "grep ' /scratch ' /proc/mounts");
        assertTrue(scratch.contains("nosuid") && scratch.contains("nodev") && scratch.contains("noexec"), scratch);

        // the disk image, mounted with its file system
        assertTrue(ok(box, "grep ' /data ' /proc/mounts").startsWith("/dev/vd"), "a virtio-blk disk");
        assertTrue(ok(box, "grep ' /data ' /proc/mounts").contains(" ext4 rw"));
        ok(box, "echo on the disk image > /data/hello.txt && sync");

        // no way out: .., links pointing out (resolved in the guest, to the guest's files), a hard link to a guest file
        assertEquals("bin", ok(box, "ls /rw/.. | grep -x bin").trim(), "/rw/.. is the guest's root");
        assertNotEquals(0, Platform.sh(box, "cat /rw/../outside-secret").exit().code());
        for (String link : List.of("/rw/up", "/rw/abs")) {
            ExecResult r = Platform.sh(box, "cat " + link);
            assertNotEquals(0, r.exit().code(), link + " reached " + r.stdoutText());
            assertFalse(r.stdoutText().contains("host secret"), link);
        }
        ok(box, "ln -s /etc /rw/etc-link");
        assertEquals(ok(box, "cat /etc/hostname"), ok(box, "cat /rw/etc-link/hostname"), "the guest's own /etc");
        ExecResult hard = Platform.sh(box, "ln /etc/hostname /rw/hard-link");
        assertNotEquals(0, hard.exit().code(), "a hard link across file systems");
        assertTrue(hard.stderrText().contains("Invalid cross-device link"), hard.stderrText());
        assertNotEquals(0, Platform.sh(box, "ln /rw/../outside-secret /rw/hard-out").exit().code());
        assertFalse(Files.exists(rw.resolve("hard-link")) || Files.exists(rw.resolve("hard-out")));
        assertEquals("host secret\n", Files.readString(secret), "the host file outside the share is untouched");

        platform.runtime().remove(NAME, true);
        // the image outlives the sandbox: read back on the host, without mounting it
        HostCommand.Result back = HostCommand.run(tmp, List.of("debugfs", "-R", "cat /hello.txt", image.toString()),
                Map.of());
        assertTrue(back.output().contains("on the disk image\n"), back.output());
    }

    /**
     * A named volume outlives the sandbox that wrote it: a directory volume and a disk volume written in one sandbox
     * are read in the next after the first is removed, and the volume cannot be removed while a sandbox mounts it.
     */
    @Test
    void aNamedVolumeCarriesFilesFromOneSandboxToTheNext(Platform platform) {
        VolumeService volumes = platform.volumes();
        volumes.create(VolumeSpec.directory("e2e-cache"));
        volumes.create(new VolumeSpec("e2e-disk", VolumeKind.DISK, null, 32, Map.of()));
        try {
            SandboxHandle first = create(platform, SandboxSpec.builder("e2e-vol-1").image(Platform.IMAGE).replace(true)
                    .mount(Mount.volume("e2e-cache", "/cache")).mount(Mount.volume("e2e-disk", "/disk")).build());
            ok(first, "mkdir -p /cache/pip && echo kept > /cache/pip/wheel.txt && echo on disk > /disk/d.txt && sync");
            assertThrows(VolumeInUseException.class, () -> volumes.remove("e2e-cache"));
            platform.runtime().remove("e2e-vol-1", true);

            SandboxHandle second = create(platform, SandboxSpec.builder("e2e-vol-2").image(Platform.IMAGE)
                    .replace(true).mount(Mount.volume("e2e-cache", "/cache").asReadOnly())
                    .mount(Mount.volume("e2e-disk", "/disk")).build());
            assertEquals("kept\n", ok(second, "cat /cache/pip/wheel.txt"));
            assertEquals("on disk\n", ok(second, "cat /disk/d.txt"));
            assertNotEquals(0, Platform.sh(second, "echo x > /cache/new.txt").exit().code(), "mounted read-only");
            platform.runtime().remove("e2e-vol-2", true);
            // and on the host, through the volume's files
            assertEquals("kept\n", new String(volumes.files("e2e-cache").readAllBytes("/pip/wheel.txt")));
        } finally {
            platform.runtime().list(io.msb.api.LabelSelector.ALL).stream().map(i -> i.name())
                    .filter(n -> n.startsWith("e2e-vol-")).forEach(n -> platform.runtime().remove(n, true));
            volumes.remove("e2e-cache");
            volumes.remove("e2e-disk");
        }
    }

    /** A mount that cannot be made ends the boot; the create fails with agentd's line naming the entry and path. */
    @Test
    void aMountThatCannotBeMadeFailsTheCreateNamingIt(Platform platform, @TempDir Path tmp) throws Exception {
        Path notExt4 = tmp.resolve("zeros.img");
        try (RandomAccessFile f = new RandomAccessFile(notExt4.toFile(), "rw")) {
            f.setLength(8 << 20);
        }
        BootFailedException e = assertThrows(BootFailedException.class, () -> platform.runtime().create(
                SandboxSpec.builder("e2e-bad-mount").image(Platform.IMAGE).replace(true)
                        .mount(Mount.tmpfs("/fine", 0)).mount(Mount.diskImage(notExt4.toString(), "/bad", null, null))
                        .build()));
        String console = String.join("\n", e.kernelLogTail());
        assertTrue(console.contains("agentd: mount failed: mounts[1] /bad (ext4 /dev/vd"), () -> e + "\n" + console);
        platform.runtime().remove("e2e-bad-mount", true);
    }

    /** Refused before anything boots: the rule and the field. */
    @Test
    void refusedMountsNameTheField(Platform platform, @TempDir Path tmp) {
        InvalidConfigException named = assertThrows(InvalidConfigException.class, () -> platform.runtime().create(
                SandboxSpec.builder("e2e-refused").image(Platform.IMAGE).mount(Mount.volume("cache", "/cache")).build()));
        assertEquals("mounts[0].name", named.field(), named.getMessage());
        InvalidConfigException home = assertThrows(InvalidConfigException.class, () -> platform.runtime().create(
                SandboxSpec.builder("e2e-refused").image(Platform.IMAGE)
                        .mount(Mount.bind(platform.home.resolve("sandboxes").toString(), "/s")).build()));
        assertEquals("mounts[0].host", home.field(), home.getMessage());
        InvalidConfigException proc = assertThrows(InvalidConfigException.class, () -> platform.runtime().create(
                SandboxSpec.builder("e2e-refused").image(Platform.IMAGE).mount(Mount.bind(tmp.toString(), "/proc/x"))
                        .build()));
        assertEquals("mounts[0].guest", proc.field(), proc.getMessage());
    }

    /** The sandbox, or a failure that shows the guest's console. */
    static SandboxHandle create(Platform platform, SandboxSpec spec) {
        try {
            return platform.runtime().create(spec);
        } catch (BootFailedException e) {
            throw new AssertionError(e.getMessage() + "\nconsole:\n" + String.join("\n", e.kernelLogTail()), e);
        }
    }

    /** A sparse file formatted by the host's mkfs.ext4. */
    static Path ext4Image(Path file, int mib) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength((long) mib << 20);
        }
        HostCommand.check(file.getParent(), List.of("mkfs.ext4", "-F", "-q", file.toString()), Map.of());
        return file;
    }

    private static String ok(SandboxHandle box, String script) {
        ExecResult r = Platform.sh(box, script);
        assertEquals(0, r.exit().code(), () -> script + ": " + r.stdoutText() + r.stderrText());
        return r.stdoutText();
    }
}
