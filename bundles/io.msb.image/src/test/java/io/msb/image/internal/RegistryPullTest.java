package io.msb.image.internal;

import io.msb.api.image.ImageReference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.PullPolicy;
import io.msb.api.image.ImageInfo;
import io.msb.api.image.ImageService.ArchiveFormat;
import io.msb.api.image.PullEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real docker-registry on 127.0.0.1 (through a fault-injecting proxy where a test needs one). */
class RegistryPullTest {
    @TempDir
    static Path dir;
    static RegistryFixture registry;
    static ConnectionDroppingProxy proxy;
    static final TestImages.Image ONE = TestImages.oneLayer("amd64");
    static final TestImages.IndexImage MULTI = TestImages.twoPlatforms();
    static final TestImages.Image BIG = TestImages.image("amd64",
            List.of(TestImages.randomFile("big.bin", 2 << 20, 7), TestImages.randomFile("small.bin", 1000, 8)));

    @BeforeAll
    static void start() throws Exception {
        registry = RegistryFixture.start(dir, "");
        proxy = new ConnectionDroppingProxy(registry.port);
        RegistryPusher pusher = new RegistryPusher(registry.host());
        pusher.push("test/one", "1", ONE);
        pusher.pushIndex("test/multi", "1", MULTI);
        pusher.push("test/big", "1", BIG);
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static long blobRequests(String digest) {
        return proxy.requests().stream().filter(h -> h.startsWith("GET ") && h.contains("/blobs/" + digest)).count();
    }

    /** Decision 1871: observers hear of each pull, a miss with the image's size, a hit with 0; NEVER is a lookup. */
    @Test
    void observersHearOfPullsAndCacheHits(@TempDir Path home) throws Exception {
        try (ImageEnv env = new ImageEnv(home)) {
            List<String> heard = new java.util.ArrayList<>();
            env.images.observers = List.of(new io.msb.api.spi.PlatformObserver() {
                @Override
                public void pulled(String reference, long bytes, java.time.Duration took, boolean cacheHit) {
                    heard.add(reference + " " + bytes + " " + cacheHit);
                }
            });
            ImageReference ref = ImageReference.parse(registry.host() + "/test/one:1");
            ImageInfo info = env.images.pull(ref, PullPolicy.IF_MISSING, null);
            env.images.pull(ref, PullPolicy.IF_MISSING, null);
            env.images.pull(ref, PullPolicy.NEVER, null);
            assertEquals(List.of(info.reference() + " " + info.compressedSize() + " false", info.reference() + " 0 true"),
                    heard);
            assertTrue(info.compressedSize() > 0);
        }
    }

    @Test
    void pullsOneLayerImageVerifiesAndRecordsIt(@TempDir Path home) throws Exception {
        try (ImageEnv env = new ImageEnv(home)) {
            String ref = proxy.host() + "/test/one:1";
            ImageEnv.Events events = new ImageEnv.Events();
            ImageInfo info = env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, events);

            assertEquals(ref.replace("/test", "/test"), info.reference());
            assertEquals(ONE.manifestDigest(), info.manifestDigest());
            assertEquals(ONE.config().digest(), info.configDigest());
            assertEquals(List.of("/bin/sh", "-c"), info.config().entrypoint());
            assertEquals(List.of("cat /hello.txt"), info.config().cmd());
            assertEquals("/srv", info.config().workingDir());
            assertEquals(List.of("8080/tcp"), info.config().exposedPorts());
            assertEquals(1, info.layers().size());
            assertEquals(Manifests.parseConfig(ONE.config().data()).diffIds().get(0), info.layers().get(0).diffId());
            assertArrayEquals(ONE.layers().get(0).data(), Files.readAllBytes(env.blob(ONE.layers().get(0).digest())));
            assertArrayEquals(ONE.manifest().data(), Files.readAllBytes(env.blob(ONE.manifestDigest())));

            assertInstanceOf(PullEvent.Resolving.class, events.all.get(0));
            PullEvent.Resolved resolved = events.of(PullEvent.Resolved.class).get(0);
            assertEquals(1, resolved.layerCount());
            assertEquals(ONE.layerBytes(), resolved.totalBytes());
            List<PullEvent.LayerProgress> progress = events.of(PullEvent.LayerProgress.class);
            assertEquals(ONE.layerBytes(), progress.get(progress.size() - 1).doneBytes());
            assertInstanceOf(PullEvent.Complete.class, events.all.get(events.all.size() - 1));

            var stored = env.store.findImage(info.reference()).orElseThrow();
            assertEquals(ONE.manifestDigest(), stored.manifestDigest());
            assertEquals(ONE.layers().get(0).digest(), stored.layers().get(0).digest());
            assertEquals(info, env.images.find(ImageReference.parse(ref)).orElseThrow());
            assertEquals(List.of(info.reference()), env.images.list().stream().map(ImageInfo::reference).toList());

            // IF_MISSING with everything cached does not contact the registry at all
            int before = proxy.requests().size();
            ImageInfo again = env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null);
            assertEquals(info.manifestDigest(), again.manifestDigest());
            assertEquals(before, proxy.requests().size());

            // ALWAYS resolves the manifest again but does not download cached blobs again
            long layerGets = blobRequests(ONE.layers().get(0).digest());
            env.images.pull(ImageReference.parse(ref), PullPolicy.ALWAYS, null);
            assertTrue(proxy.requests().size() > before);
            assertEquals(layerGets, blobRequests(ONE.layers().get(0).digest()));
        }
    }

    @Test
    void neverPolicyWithoutTheImageFailsClearly(@TempDir Path home) {
        try (ImageEnv env = new ImageEnv(home)) {
            int before = proxy.requests().size();
            NotFoundException e = assertThrows(NotFoundException.class,
                    () -> env.images.pull(ImageReference.parse(proxy.host() + "/test/one:1"), PullPolicy.NEVER, null));
            assertEquals("image not found: " + proxy.host() + "/test/one:1 (it is not cached and the pull policy is NEVER)",
                    e.getMessage());
            assertEquals(before, proxy.requests().size());
        }
    }

    @Test
    void unknownTagIsNotFound(@TempDir Path home) {
        try (ImageEnv env = new ImageEnv(home)) {
            NotFoundException e = assertThrows(NotFoundException.class,
                    () -> env.images.pull(ImageReference.parse(registry.host() + "/test/one:nope"), PullPolicy.IF_MISSING, null));
            assertTrue(e.getMessage().contains("test/one:nope"), e.getMessage());
        }
    }

    @Test
    void indexResolvesToThePlatform(@TempDir Path home, @TempDir Path home2) {
        try (ImageEnv env = new ImageEnv(home)) {
            ImageInfo info = env.images.pull(ImageReference.parse(registry.host() + "/test/multi:1"), PullPolicy.IF_MISSING, null);
            assertEquals(MULTI.byPlatform().get("linux/amd64").manifestDigest(), info.manifestDigest());
            assertTrue(info.config().env().contains("GREETING=hello amd64"));
        }
        try (ImageEnv env = new ImageEnv(home2, s -> s.withPlatform("linux/arm64/v8"))) {
            ImageInfo info = env.images.pull(ImageReference.parse(registry.host() + "/test/multi:1"), PullPolicy.IF_MISSING, null);
            assertEquals(MULTI.byPlatform().get("linux/arm64").manifestDigest(), info.manifestDigest());
        }
    }

    @Test
    void droppedConnectionMidBlobResumesWithRange(@TempDir Path home) throws Exception {
        String big = BIG.layers().get(0).digest();
        proxy.dropOnce("/blobs/" + big, 300_000);
        try (ImageEnv env = new ImageEnv(home)) {
            ImageInfo info = env.images.pull(ImageReference.parse(proxy.host() + "/test/big:1"), PullPolicy.IF_MISSING, null);
            assertEquals(BIG.manifestDigest(), info.manifestDigest());
            assertArrayEquals(BIG.layers().get(0).data(), Files.readAllBytes(env.blob(big)));
            List<String> gets = proxy.requests().stream().filter(h -> h.contains("/blobs/" + big)).toList();
            assertEquals(2, gets.size(), gets.toString());
            var range = java.util.regex.Pattern.compile("(?im)^range: bytes=(\\d+)-$").matcher(gets.get(1));
            assertTrue(range.find(), "second request must resume with Range: " + gets.get(1));
            assertTrue(Long.parseLong(range.group(1)) > 0);
            assertFalse(Files.exists(env.images.blobDirectory().resolve(Digests.hex(big) + ".partial")));
        }
    }

    @Test
    void stalledDownloadIsCutAndResumed(@TempDir Path home) throws Exception {
        String big = BIG.layers().get(0).digest();
        proxy.stallOnce("/blobs/" + big, 200_000);
        try (ImageEnv env = new ImageEnv(home, s -> s.withStallTimeout(1))) {
            ImageInfo info = env.images.pull(ImageReference.parse(proxy.host() + "/test/big:1"), PullPolicy.ALWAYS, null);
            assertEquals(BIG.manifestDigest(), info.manifestDigest());
            assertArrayEquals(BIG.layers().get(0).data(), Files.readAllBytes(env.blob(big)));
            List<String> gets = proxy.requests().stream().filter(h -> h.contains("/blobs/" + big)).toList();
            String last = gets.get(gets.size() - 1);
            assertTrue(last.toLowerCase().contains("range: bytes="), "the retry resumes: " + last);
        }
    }

    @Test
    void corruptedBlobIsRejectedAndNotCached(@TempDir Path home) throws Exception {
        TestImages.Image bad = TestImages.image("amd64", List.of(TestImages.randomFile("x.bin", 100_000, 42)));
        new RegistryPusher(registry.host()).push("test/corrupt", "1", bad);
        String layer = bad.layers().get(0).digest();
        Path data = registry.blobData(layer);
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(data, bytes);
        try (ImageEnv env = new ImageEnv(home)) {
            MsbException e = assertThrows(MsbException.class,
                    () -> env.images.pull(ImageReference.parse(registry.host() + "/test/corrupt:1"), PullPolicy.IF_MISSING, null));
            assertTrue(e.getMessage().contains("blob " + layer + " failed verification"), e.getMessage());
            assertTrue(e.getMessage().contains("it was not cached"), e.getMessage());
            assertFalse(Files.exists(env.blob(layer)));
            assertFalse(Files.exists(env.images.blobDirectory().resolve(Digests.hex(layer) + ".partial")));
            assertTrue(env.images.find(ImageReference.parse(registry.host() + "/test/corrupt:1")).isEmpty());
        }
    }

    @Test
    void removeAndPruneFreeOnlyUnusedBlobs(@TempDir Path home) throws Exception {
        try (ImageEnv env = new ImageEnv(home)) {
            ImageInfo one = env.images.pull(ImageReference.parse(registry.host() + "/test/one:1"), PullPolicy.IF_MISSING, null);
            ImageInfo multi = env.images.pull(ImageReference.parse(registry.host() + "/test/multi:1"), PullPolicy.IF_MISSING, null);
            env.images.remove(ImageReference.parse(one.reference()));
            assertTrue(env.images.find(ImageReference.parse(one.reference())).isEmpty());
            assertFalse(Files.exists(env.blob(one.manifestDigest())));
            assertFalse(Files.exists(env.blob(one.layers().get(0).digest())));
            assertTrue(Files.exists(env.blob(multi.layers().get(0).digest())));
            assertThrows(NotFoundException.class, () -> env.images.remove(ImageReference.parse(one.reference())));

            assertEquals(0, env.images.prune());
            env.store.deleteImage(multi.reference()); // orphan its blobs behind the service's back
            long expected = Files.size(env.blob(multi.manifestDigest())) + Files.size(env.blob(multi.configDigest()))
                    + multi.compressedSize();
            assertEquals(expected, env.images.prune());
            assertFalse(Files.exists(env.blob(multi.layers().get(0).digest())));
        }
    }

    @Test
    void saveAndLoadBothArchiveFormats(@TempDir Path home, @TempDir Path other, @TempDir Path out) {
        ImageInfo original;
        try (ImageEnv env = new ImageEnv(home)) {
            original = env.images.pull(ImageReference.parse(registry.host() + "/test/big:1"), PullPolicy.IF_MISSING, null);
            env.images.save(ImageReference.parse(original.reference()), out.resolve("docker.tar"), ArchiveFormat.DOCKER);
            env.images.save(ImageReference.parse(original.reference()), out.resolve("oci.tar"), ArchiveFormat.OCI_LAYOUT);
        }
        try (ImageEnv env = new ImageEnv(other)) {
            List<ImageInfo> fromOci = env.images.load(out.resolve("oci.tar"));
            assertEquals(1, fromOci.size());
            assertEquals(original.reference(), fromOci.get(0).reference());
            assertEquals(original.manifestDigest(), fromOci.get(0).manifestDigest());
            assertEquals(original.layers(), fromOci.get(0).layers());
            env.images.remove(ImageReference.parse(original.reference()));

            List<ImageInfo> fromDocker = env.images.load(out.resolve("docker.tar"));
            assertEquals(1, fromDocker.size());
            ImageInfo d = fromDocker.get(0);
            assertEquals(original.reference(), d.reference());
            assertEquals(original.configDigest(), d.configDigest());
            assertEquals(original.config(), d.config());
            assertEquals(original.layers().stream().map(l -> l.digest() + l.diffId() + l.size()).toList(),
                    d.layers().stream().map(l -> l.digest() + l.diffId() + l.size()).toList());
            assertEquals(d, env.images.pull(ImageReference.parse(original.reference()), PullPolicy.NEVER, null));
            assertTrue(env.store.findImage(original.reference()).isPresent());
        }
    }

    @Test
    void loadRejectsBrokenArchives(@TempDir Path home, @TempDir Path out) throws Exception {
        try (ImageEnv env = new ImageEnv(home)) {
            Path notTar = Files.writeString(out.resolve("x.tar"), "this is not a tar archive at all".repeat(20));
            assertTrue(assertThrows(MsbException.class, () -> env.images.load(notTar)).getMessage()
                    .contains("not a tar file"));
            Path lying = out.resolve("lying.tar");
            try (var w = new Tar.Writer(Files.newOutputStream(lying))) {
                w.file("oci-layout", "{}".getBytes());
                w.file("blobs/sha256/" + "0".repeat(64), "not that content".getBytes());
            }
            assertTrue(assertThrows(MsbException.class, () -> env.images.load(lying)).getMessage()
                    .contains("does not match its content"));
        }
    }

    @Test
    void mirrorsComeFirstAndAreSkippedWhenTheyLackTheImage(@TempDir Path home, @TempDir Path home2,
            @TempDir Path emptyDir) throws Exception {
        String ref = registry.host() + "/test/one:1";
        try (ImageEnv env = new ImageEnv(home, s -> s.withMirrors(java.util.Map.of(registry.host(), "http://" + proxy.host())))) {
            long before = proxy.requests().stream().filter(h -> h.startsWith("GET /v2/test/one/manifests/1 ")).count();
            assertEquals(ONE.manifestDigest(), env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null).manifestDigest());
            assertEquals(before + 1, proxy.requests().stream().filter(h -> h.startsWith("GET /v2/test/one/manifests/1 ")).count());
        }
        try (RegistryFixture empty = RegistryFixture.start(emptyDir, "");
                ImageEnv env = new ImageEnv(home2, s -> s.withMirrors(java.util.Map.of(registry.host(), "http://" + empty.host())))) {
            assertEquals(ONE.manifestDigest(), env.images.pull(ImageReference.parse(ref), PullPolicy.IF_MISSING, null).manifestDigest());
        }
    }
}
