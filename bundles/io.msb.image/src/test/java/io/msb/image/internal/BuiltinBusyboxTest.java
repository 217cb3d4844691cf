package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.NotFoundException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** builtin:busybox is made from Debian's busybox-static with no registry; the layer is read back with GNU tar. */
class BuiltinBusyboxTest {
    @Test
    void pullBuildsTheBusyboxImageOnceAndTheRootfsBundleTakesIt(@TempDir Path home) throws Exception {
        assumeTrue(onPath("apt-get") && onPath("dpkg-deb") && onPath("tar"),
                "needs apt-get, dpkg-deb (Debian) and tar to build builtin:busybox");
        try (ImageEnv env = new ImageEnv(home)) {
            env.images.setRootfsBuilder(env.rootfs());
            ImageInfo info = env.images.pull(ImageReference.parse("builtin:busybox"), PullPolicy.NEVER, null);

            assertEquals("builtin:busybox", info.reference());
            assertEquals(List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), info.config().env());
            assertEquals(List.of("/bin/sh"), info.config().cmd());
            assertEquals(1, info.layers().size());
            assertTrue(Files.size(env.rootImage(info.manifestDigest())) > 0, "the EROFS root was built");

            Path layer = env.blob(info.layers().get(0).digest());
            String listing = run(List.of("tar", "--numeric-owner", "-tvf", layer.toString()));
            assertTrue(listing.matches("(?s).*-rwxr-xr-x 0/0 +\\d+ [^\\n]* bin/busybox\\n.*"), listing);
            assertTrue(listing.contains(" bin/sh -> /bin/busybox\n"), "bin/sh is an applet link");
            assertTrue(listing.contains(" bin/ls -> /bin/busybox\n"), "bin/ls is an applet link");
            assertTrue(listing.matches("(?s).*drwxrwxrwt 0/0 [^\\n]* tmp/\\n.*"), "tmp is 1777");
            assertTrue(listing.matches("(?s).*drwx------ 0/0 [^\\n]* root/\\n.*"), "root is 0700");
            String passwd = run(List.of("tar", "-xOf", layer.toString(), "etc/passwd"));
            assertTrue(passwd.startsWith("root:x:0:0:root:/root:/bin/sh\n"), passwd);
            assertTrue(passwd.contains("\nnobody:x:65534:65534:"), passwd);
            assertTrue(run(List.of("tar", "-xOf", layer.toString(), "etc/group")).startsWith("root:x:0:\n"));

            // The second pull, even ALWAYS, reuses the recorded image: the unpacked package is not needed again.
            deleteTree(home.resolve("cache/builtin"));
            ImageInfo again = env.images.pull(ImageReference.parse("builtin:busybox"), PullPolicy.ALWAYS, null);
            assertEquals(info.manifestDigest(), again.manifestDigest());
            assertFalse(Files.exists(home.resolve("cache/builtin")), "no rebuild on the second pull");
            assertEquals(info.manifestDigest(), env.images.find(ImageReference.parse(" builtin:busybox")).orElseThrow().manifestDigest());
        }
    }

    @Test
    void anUnknownBuiltinNameIsNotFoundAndNamesTheKnownOnes(@TempDir Path home) {
        try (ImageEnv env = new ImageEnv(home)) {
            NotFoundException e = assertThrows(NotFoundException.class,
                    () -> env.images.pull(ImageReference.parse("builtin:alpine"), PullPolicy.IF_MISSING, null));
            assertTrue(e.getMessage().contains("builtin:busybox"), e.getMessage());
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
