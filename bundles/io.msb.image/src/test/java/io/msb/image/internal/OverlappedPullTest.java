package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.msb.api.MsbException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.PullEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pull builds the root disk while its layers download. The result must not depend on that: the same image
 * built after a plain pull has the same tree (read back with fsck.erofs); a failed download fails the pull with
 * the download's error and leaves no root disk.
 */
class OverlappedPullTest {
    static final Path FSCK = Path.of("/usr/bin/fsck.erofs");

    static TestImages.Image threeLayers() {
        return TestImages.image("amd64", List.of(
                Map.of("big.bin", TestImages.randomFile("x", 3 << 20, 1).get("x"), "gone.txt", "first".getBytes(),
                        "kept.txt", "kept".getBytes()),
                Map.of("lib.bin", TestImages.randomFile("x", 2 << 20, 2).get("x"), ".wh.gone.txt", new byte[0]),
                Map.of("kept.txt", "replaced by layer 3".getBytes(), "top.bin", TestImages.randomFile("x", 1 << 20, 3).get("x"))));
    }

    @Test
    void overlappedAndSequentialPullsGiveTheSameTree(@TempDir Path dir, @TempDir Path homeA, @TempDir Path homeB)
            throws Exception {
        assumeTrue(Files.isExecutable(FSCK), "fsck.erofs is not installed (apt-get install erofs-utils)");
        TestImages.Image image = threeLayers();
        try (RegistryFixture registry = RegistryFixture.start(dir, "");
                ImageEnv a = new ImageEnv(homeA); ImageEnv b = new ImageEnv(homeB)) {
            new RegistryPusher(registry.host()).push("o/img", "1", image);
            String ref = registry.host() + "/o/img:1";

            a.images.setRootfsBuilder(a.rootfs());
            ImageEnv.Events events = new ImageEnv.Events();
            ImageInfo info = a.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, events);
            assertTrue(events.all.contains(new PullEvent.Materializing(info.manifestDigest())));
            assertTrue(events.all.get(events.all.size() - 1) instanceof PullEvent.Complete);

            ImageInfo plain = b.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
            b.rootfs().rootDisk(plain);

            Map<String, String> treeA = extract(a.rootImage(info.manifestDigest()), dir.resolve("a"));
            Map<String, String> treeB = extract(b.rootImage(plain.manifestDigest()), dir.resolve("b"));
            assertEquals(treeB, treeA);
            assertFalse(treeA.containsKey("/gone.txt"), "layer 2's whiteout applies");
            assertTrue(treeA.get("/kept.txt").endsWith(sha("replaced by layer 3".getBytes())), treeA.get("/kept.txt"));
            assertEquals(List.of("/", "/big.bin", "/kept.txt", "/lib.bin", "/top.bin"), List.copyOf(treeA.keySet()));
        }
    }

    @Test
    void aFailedLayerDownloadFailsThePullAndLeavesNoRootDisk(@TempDir Path dir, @TempDir Path home) throws Exception {
        TestImages.Image image = threeLayers();
        try (RegistryFixture registry = RegistryFixture.start(dir, ""); ImageEnv env = new ImageEnv(home)) {
            new RegistryPusher(registry.host()).push("o/img", "1", image);
            // the registry loses layer 2's data: its download fails, the others succeed
            String hex = Digests.hex(image.layers().get(1).digest());
            try (Stream<Path> s = Files.walk(registry.storage)) {
                for (Path p : s.filter(p -> p.endsWith(Path.of(hex, "data"))).toList()) {
                    Files.delete(p);
                }
            }
            env.images.setRootfsBuilder(env.rootfs());
            MsbException e = assertThrows(MsbException.class,
                    () -> env.images.pull(ImageReference.parse(registry.host() + "/o/img:1"), PullPolicy.IF_MISSING, null));
            assertTrue(e.getMessage().contains(image.layers().get(1).digest()), e.getMessage());
            assertFalse(Files.exists(env.rootImage(image.manifestDigest())));
            assertTrue(env.images.find(ImageReference.parse(registry.host() + "/o/img:1")).isEmpty(), "a failed pull records nothing");
        }
    }

    /** fsck.erofs checks the image and extracts it; each path maps to its type, mode, owner and content hash. */
    static Map<String, String> extract(Path image, Path into) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(FSCK.toString(), "--extract=" + into, "--preserve", image.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        Map<String, String> tree = new TreeMap<>();
        try (Stream<Path> s = Files.walk(into)) {
            for (Path f : s.toList()) {
                String rel = "/" + into.relativize(f);
                var attrs = Files.readAttributes(f, "unix:mode,uid,gid,size", LinkOption.NOFOLLOW_LINKS);
                String content = Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) ? sha(Files.readAllBytes(f))
                        : Files.isSymbolicLink(f) ? Files.readSymbolicLink(f).toString() : "";
                tree.put(rel.equals("/") ? "/" : rel, attrs + " " + content);
            }
        }
        return tree;
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
