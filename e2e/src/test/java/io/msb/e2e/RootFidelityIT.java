package io.msb.e2e;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.PullPolicy;
import io.msb.api.SandboxHandle;
import io.msb.api.SandboxSpec;
import io.msb.api.exec.ExecResult;
import io.msb.api.image.ImageInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's root file system against its image, in a booted guest: an image made of builtin:busybox's layer plus a
 * layer (written by GNU tar) whose root directory is 0751, owned 0:42, with a fixed mtime, loaded as a Docker archive.
 * Every top-level directory lists "..", and {@code /} has the image root's mode and owner (the guest's / is the upper
 * disk's root directory, made fresh for the sandbox). One VM boot.
 */
@ExtendWith(PlatformExtension.class)
class RootFidelityIT {
    static final long MTIME = 1_650_000_000L;

    @Test
    void everyTopLevelDirectoryListsDotDotAndRootIsTheImageRoot(Platform platform, @TempDir Path dir) throws Exception {
        String ref = loadImage(platform, dir);
        SandboxHandle box = platform.runtime().create(SandboxSpec.builder("e2e-root-fidelity").image(ref)
                .pullPolicy(PullPolicy.NEVER).replace(true).build());
        try {
            // not the mtime: agentd creates /.msb and mount points in / while the guest boots
            ExecResult root = Platform.sh(box, "stat -c '%a %u %g' /");
            assertEquals("751 0 42\n", root.stdoutText(), root.stderrText());

            // busybox ls reads directories with glibc's readdir, which skips entries whose inode number is 0
            ExecResult ls = Platform.sh(box, "for d in /*/; do echo \"== $d\"; ls -ai \"$d\"; done");
            assertTrue(ls.exit().success(), ls.stderrText());
            List<String> dirs = new ArrayList<>();
            for (String block : ls.stdoutText().split("(?m)^== ")) {
                if (block.isEmpty()) {
                    continue;
                }
                String name = block.lines().findFirst().orElseThrow();
                dirs.add(name);
                Matcher dotdot = Pattern.compile("(?m)^\\s*(\\d+) \\.\\.$").matcher(block);
                assertTrue(dotdot.find(), name + " lists no '..':\n" + block);
                assertTrue(Long.parseLong(dotdot.group(1)) != 0, name + "/.. has inode 0");
            }
            for (String expected : List.of("/bin/", "/etc/", "/srv/", "/proc/", "/tmp/")) {
                assertTrue(dirs.contains(expected), "no " + expected + " among " + dirs);
            }
            // a directory only the image has (not copied up): its ".." is the image's root
            ExecResult srv = Platform.sh(box, "ls -a /srv/data");
            assertEquals(".\n..\n", srv.stdoutText(), srv.stderrText());
        } finally {
            platform.runtime().remove(box.name(), true);
        }
    }

    /** builtin:busybox's layer, then a layer holding the root directory and /srv/data, as a Docker archive. */
    static String loadImage(Platform platform, Path dir) throws Exception {
        ImageInfo busybox = platform.images().pull(ImageReference.parse(Platform.IMAGE), PullPolicy.IF_MISSING, null);
        assertEquals(1, busybox.layers().size());
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Files.copy(platform.blob(busybox.layers().get(0).digest()), archive.resolve("base.tar"));

        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("srv/data"));
        Files.setPosixFilePermissions(tree, PosixFilePermissions.fromString("rwxr-x--x"));
        DebianImageIT.run(dir, "tar", "--numeric-owner", "--owner=0", "--group=42", "--mtime=@" + MTIME,
                "-C", tree.toString(), "-cf", archive.resolve("root.tar").toString(), ".");

        String config = """
                {"architecture":"amd64","os":"linux",
                 "config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},
                 "rootfs":{"type":"layers","diff_ids":["%s","%s"]}}
                """.formatted(sha256(archive.resolve("base.tar")), sha256(archive.resolve("root.tar")));
        Files.writeString(archive.resolve("config.json"), config);
        Files.writeString(archive.resolve("manifest.json"),
                "[{\"Config\":\"config.json\",\"RepoTags\":[\"127.0.0.1/e2e/root-fidelity:1\"],"
                        + "\"Layers\":[\"base.tar\",\"root.tar\"]}]");
        Path tar = dir.resolve("image.tar");
        DebianImageIT.run(dir, "tar", "-C", archive.toString(), "-cf", tar.toString(),
                "manifest.json", "config.json", "base.tar", "root.tar");
        List<ImageInfo> loaded = platform.images().load(tar);
        assertEquals(1, loaded.size());
        return loaded.get(0).reference();
    }

    static String sha256(Path file) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
